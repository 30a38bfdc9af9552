#!/usr/bin/env node
// Fan-out: one DM to R recipients on R loopback actors served by the bench
// peer. Measures from the moment sendDirectMessage is called (in a tsx
// process, like `moiety dm send`) to the last 202 the peer sends. Runs twice:
// "cold" (nobody looked up yet: the send resolves all R actors itself) and
// "warm" (actors already cached, as after the compose form's lookups).
//
//   node scripts/bench/fanout.mjs [--recipients 100]

import { spawn } from "node:child_process";
import path from "node:path";
import { ROOT, prepareInstance, serve, sleep } from "./lib/moiety.mjs";
import { startPeer } from "./lib/peer.mjs";
import { figure } from "./lib/report.mjs";
import { runAsScript } from "./lib/script.mjs";

export const FANOUT_DEFAULTS = { recipients: 100, timeout: 60 };

function sendOnce(inst, urls, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/bench/fanout-send.ts"), ...urls, ...extra], {
      cwd: ROOT,
      env: { ...process.env, MOIETY_DATA_DIR: inst.dataDir, MOIETY_ORIGIN: inst.origin, MOIETY_ALLOW_PRIVATE_ADDRESSES: "1", NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      const line = out.trim().split("\n").at(-1);
      if (code !== 0 || !line) reject(new Error(`fanout-send failed (${code}): ${err.slice(-2000)}`));
      else resolve(JSON.parse(line));
    });
  });
}

/** Wait until the peer has answered `count` POSTs after index `from`; returns their epoch times. */
async function waitForPosts(peer, from, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (peer.inboxLog.length - from < count && Date.now() < deadline) await sleep(10);
  // Wall-clock times, as the sending process reports them (fanout-send.ts): timeOrigin is fixed
  // at this process's start, and this VM's wall clock is slewed by seconds over a long run.
  const offset = Date.now() - performance.now();
  return peer.inboxLog.slice(from).map((e) => offset + e.at);
}

export async function runFanout(options = {}) {
  const o = { ...FANOUT_DEFAULTS, ...options };
  const log = (m) => console.error(`[fanout] ${m}`);
  const peer = await startPeer({ actors: o.recipients });
  const inst = await prepareInstance();
  const server = await serve(inst);
  const urls = peer.actors.map((a) => a.id);
  const figures = [];
  try {
    const runs = [];
    for (const mode of ["cold", "warm"]) {
      const from = peer.inboxLog.length;
      const getsBefore = peer.stats.actorGets;
      const r = await sendOnce(inst, urls, mode === "warm" ? ["--resolve-first"] : []);
      const times = await waitForPosts(peer, from, o.recipients, o.timeout * 1000);
      if (times.length === 0) throw new Error(`fan-out (${mode}): the peer received nothing within ${o.timeout} s`);
      const last = Math.max(...times);
      const first = Math.min(...times);
      runs.push({ mode, ...r, delivered: times.length, toLast: last - r.sendStart, sendMs: r.sendEnd - r.sendStart, firstAfterQueued: first - r.sendEnd, spread: last - first, actorGets: peer.stats.actorGets - getsBefore });
      log(`${mode}: ${times.length}/${o.recipients} delivered; send() ${Math.round(r.sendEnd - r.sendStart)} ms, last 202 after ${Math.round(last - r.sendStart)} ms`);
    }
    const [cold, warm] = runs;
    figures.push(
      figure("fanout", "send → last 202, actors cached", warm.toLast, "ms", ["<", 2000], `${o.recipients} recipients, ${warm.delivered} delivered${warm.delivered < o.recipients ? " (timed out)" : ""}`),
      figure("fanout", "  of which sendDirectMessage()", warm.sendMs, "ms"),
      figure("fanout", "  of which queued → first POST", warm.firstAfterQueued, "ms", null, "rows the CLI queued wait for the server's next poll, at most 500 ms"),
      figure("fanout", "  of which first → last POST", warm.spread, "ms"),
      figure("fanout", "send → last 202, nobody looked up yet", cold.toLast, "ms", ["<", 2000], `${cold.delivered} delivered, ${cold.actorGets} actor fetches`),
      figure("fanout", "  of which sendDirectMessage() incl. lookups", cold.sendMs, "ms"),
    );
  } finally {
    await server.stop();
    await peer.close();
  }
  return figures;
}

await runAsScript(import.meta.url, runFanout, FANOUT_DEFAULTS);
