// Signed inbox POSTs as raw HTTP/1.1 bytes, made before a load window so that
// signing (~1 ms of RSA-2048 each) never competes with the server for the
// CPU while it is measured. Draft-cavage HTTP signatures as Mastodon sends
// them: (request-target) host date digest content-type, rsa-sha256, with a
// SHA-256 Digest. Many requests are signed in parallel on worker threads.

import { createHash, createPrivateKey, sign } from "node:crypto";
import os from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { dmActivity } from "./dm.mjs";

const SIGNED = "(request-target) host date digest content-type";

/**
 * One POST of `body` to `url` as raw request bytes.
 * key: a KeyObject to sign with (null: no Signature header at all).
 * keyId: the keyId to claim (a bad signature: another actor's key with this id).
 * @param {string} url
 * @param {string} body
 * @param {{ key?: import("node:crypto").KeyObject | null, keyId?: string, date?: Date, contentType?: string, contentLength?: number }} [options]
 */
export function rawPost(url, body, { key, keyId, date = new Date(), contentType = "application/activity+json", contentLength } = {}) {
  const u = new URL(url);
  const bodyBuf = Buffer.from(body);
  const digest = `SHA-256=${createHash("sha256").update(bodyBuf).digest("base64")}`;
  const dateText = date.toUTCString();
  const lines = [
    `POST ${u.pathname}${u.search} HTTP/1.1`,
    `host: ${u.host}`,
    `date: ${dateText}`,
    `digest: ${digest}`,
    `content-type: ${contentType}`,
    "accept: application/activity+json",
    "user-agent: MoietyBench/2.0",
  ];
  if (key) {
    const text = `(request-target): post ${u.pathname}${u.search}\nhost: ${u.host}\ndate: ${dateText}\ndigest: ${digest}\ncontent-type: ${contentType}`;
    const signature = sign("sha256", Buffer.from(text), key).toString("base64");
    lines.push(`signature: keyId="${keyId}",algorithm="rsa-sha256",headers="${SIGNED}",signature="${signature}"`);
  }
  lines.push(`content-length: ${contentLength ?? bodyBuf.length}`, "", "");
  return Buffer.concat([Buffer.from(lines.join("\r\n")), bodyBuf]);
}

/**
 * What a job asks for: a DM from actors[actor] to `recipient` numbered `n`,
 * posted to `url`; `signWith` signs with another actor's key (a bad signature),
 * `unsigned` leaves the Signature header out.
 */
function buildJob(job, actors, keys) {
  const a = actors[job.actor];
  const body = job.body ?? JSON.stringify(dmActivity(a, job.recipient, job.n));
  const key = job.unsigned ? null : keys[job.signWith ?? job.actor];
  return rawPost(job.url, body, { key, keyId: a.keyId });
}

if (!isMainThread && workerData?.moietyBenchSigner) {
  const { actors } = workerData;
  const keys = actors.map((a) => createPrivateKey(a.privateKeyPem));
  parentPort.on("message", ({ id, jobs }) => {
    const parts = jobs.map((j) => buildJob(j, actors, keys));
    const offsets = [];
    let at = 0;
    for (const p of parts) offsets.push((at += p.length));
    const all = Buffer.concat(parts);
    const ab = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
    parentPort.postMessage({ id, ab, offsets }, [ab]);
  });
}

/**
 * Build and sign every job on `threads` worker threads (default: one per
 * core); resolves with one Buffer per job, in order. `actors`: the peer's
 * actors ({ id, name, keyId, privateKeyPem }).
 */
export async function presignAll(jobs, actors, { threads = os.availableParallelism(), batch = 250 } = {}) {
  const plain = actors.map(({ id, name, keyId, privateKeyPem }) => ({ id, name, keyId, privateKeyPem }));
  const workers = Array.from({ length: Math.max(1, threads) }, () => new Worker(new URL(import.meta.url), { workerData: { moietyBenchSigner: true, actors: plain } }));
  const out = new Array(jobs.length);
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise((resolve, reject) => {
            const give = () => {
              if (next >= jobs.length) return resolve();
              const from = next;
              next = Math.min(jobs.length, next + batch);
              w.postMessage({ id: from, jobs: jobs.slice(from, next) });
            };
            w.on("message", ({ id, ab, offsets }) => {
              const buf = Buffer.from(ab);
              let start = 0;
              offsets.forEach((end, i) => {
                out[id + i] = buf.subarray(start, end);
                start = end;
              });
              give();
            });
            w.on("error", reject);
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
