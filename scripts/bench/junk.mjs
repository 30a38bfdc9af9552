#!/usr/bin/env node
// Junk at the inbox: how fast a server refuses what it must refuse, what each
// refusal costs it, and whether real DMs keep flowing meanwhile. Three kinds:
//   unsigned  — a well-formed DM with a Digest and no Signature header;
//   badsig    — signed draft-cavage style, claiming a known actor's keyId
//               (fetched during the warm-up) but signed with another key;
//   oversize  — headers declaring a body over the inbox limit (--oversize-bytes),
//               no body sent: one connection per request, closed after the answer
//               (so this figure includes a TCP connect and close per refusal).
// Phase 1 floods with each kind alone for --seconds (the oversize flood also
// against a bare node:http server that only answers 413, lib/bare-413.mjs: the
// floor a new connection per request costs any Node HTTP server; and against a
// bare node:net server with no HTTP parser, lib/bare-net-413.mjs: what the
// connection alone costs); phase 2 floods with all
// three together while real DMs are sent at --dm-rate per second, then waits
// for those DMs to be stored. Junk goes over pipelined keep-alive sockets
// (--depth requests in flight on each) from another loopback address
// (127.0.0.2), as an attacker apart from the real sender.
//
//   node scripts/bench/junk.mjs [--seconds 5] [--depth 16] [--conns 4] [--oversize-conns 4]
//                               [--dm-rate 300] [--dm-c 8] [--actors 20] [--oversize-bytes 2097152] [--floor false]
//                               [--target URL --pid PID --stored-sql … --db FILE | --stored-cmd …]

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { measureWindow, presignDms, setUp, warmUp } from "./lib/load.mjs";
import { sleep } from "./lib/moiety.mjs";
import { RawConnection, histogram, sendAll } from "./lib/rawhttp.mjs";
import { figure, round, summarize } from "./lib/report.mjs";
import { presignAll, rawPost } from "./lib/sign.mjs";
import { TARGET_DEFAULTS, waitForStored } from "./lib/target.mjs";
import { runAsScript } from "./lib/script.mjs";

export const JUNK_DEFAULTS = {
  seconds: 5,
  depth: 16,
  conns: 4,
  oversizeConns: 4,
  dmRate: 300,
  dmC: 8,
  actors: 20,
  pool: 1000,
  oversizeBytes: 2 * 1024 * 1024,
  junkAddress: "127.0.0.2",
  /** Also flood a bare node:http server with the oversize requests, as the floor to compare with (--floor false to skip). */
  floor: true,
  storeTimeout: 60,
  ...TARGET_DEFAULTS,
};

/** Keep `depth` requests from `pool` in flight on one connection after another until stop.done. */
async function pipelined(pool, o, stop, tally) {
  let k = Math.floor(Math.random() * pool.length);
  while (!stop.done) {
    const conn = new RawConnection({ host: o.host, port: o.port, localAddress: o.localAddress });
    try {
      await conn.connect();
    } catch (e) {
      tally(`error:${e.code ?? e.message}`);
      await sleep(20);
      continue;
    }
    await new Promise((resolve) => {
      let inflight = 0;
      const pump = () => {
        while (!stop.done && !conn.closed && inflight < o.depth) {
          inflight++;
          conn.send(pool[k++ % pool.length]).then((r) => {
            inflight--;
            tally(r.status);
            pump();
          });
        }
        if ((stop.done || conn.closed) && inflight === 0) resolve();
      };
      pump();
    });
    conn.close();
  }
}

/** Headers only, the answer, close; again until stop.done (the body would never be read anyway). */
async function oneShot(request, o, stop, tally) {
  while (!stop.done) {
    const conn = new RawConnection({ host: o.host, port: o.port, localAddress: o.localAddress, timeoutMs: 10_000 });
    try {
      await conn.connect();
      tally((await conn.send(request)).status);
    } catch (e) {
      tally(`error:${e.code ?? e.message}`);
      await sleep(20);
    } finally {
      conn.close();
    }
  }
}

/** Flood with `kinds` (names of pools) for as long as `whileRunning` (a promise) or `seconds`; returns { perKind: {kind: histogram}, ms }. */
async function flood(kinds, pools, o, target, until) {
  const stop = { done: false };
  const perKind = {};
  const conn = { host: target.host, port: target.port, depth: o.depth, localAddress: o.junkAddress };
  const loops = [];
  for (const kind of kinds) {
    const h = (perKind[kind] = {});
    const tally = (s) => (h[s] = (h[s] ?? 0) + 1);
    if (kind === "oversize") for (let i = 0; i < o.oversizeConns; i++) loops.push(oneShot(pools.oversize, conn, stop, tally));
    else for (let i = 0; i < o.conns; i++) loops.push(pipelined(pools[kind], conn, stop, tally));
  }
  const t0 = performance.now();
  await until;
  stop.done = true;
  const ms = performance.now() - t0;
  await Promise.all(loops);
  return { perKind, ms };
}

/** The floors the oversize flood is compared with: servers that do nothing but answer 413. */
const FLOORS = [
  { script: "./lib/bare-413.mjs", name: "a bare node:http server that only answers 413 (the floor)" },
  { script: "./lib/bare-net-413.mjs", name: "a bare node:net server that writes a 413 to the first bytes (no HTTP parser)" },
];

/**
 * The oversize flood against each floor (lib/bare-413.mjs, lib/bare-net-413.mjs),
 * measured the same way: what accepting a connection and parsing one request
 * costs any Node server on this machine, and what the connection alone costs.
 */
async function oversizeFloors(request, o, label, log) {
  const figures = [];
  for (const floor of FLOORS) {
    const child = spawn(process.execPath, [fileURLToPath(new URL(floor.script, import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const port = Number(await new Promise((resolve, reject) => {
        child.stdout.once("data", (d) => resolve(String(d).trim()));
        child.once("exit", () => reject(new Error("the bare server did not start")));
      }));
      const bare = { host: "127.0.0.1", port };
      const w = measureWindow(child.pid);
      const { perKind, ms } = await flood(["oversize"], { oversize: request }, o, bare, sleep(o.seconds * 1000));
      const m = w.stop();
      const refused = refusedIn(perKind.oversize);
      log(`oversize against ${floor.name}: ${JSON.stringify(perKind.oversize)} in ${Math.round(ms)} ms`);
      const name = `  the same flood against ${floor.name}`;
      figures.push(
        figure("junk", `${name}: refused per second`, refused / (ms / 1000), "/s", null, label),
        figure("junk", `${name}: its CPU per refusal`, m.serverCpuMs / Math.max(1, refused), "ms", null, `client ${round((100 * m.clientCpuMs) / m.wallMs, 0)} % of a core`),
      );
    } finally {
      child.kill();
    }
    await sleep(500);
  }
  return figures;
}

const refusedIn = (h) => Object.entries(h).reduce((n, [s, c]) => (/^[45]\d\d$/.test(s) ? n + c : n), 0);

export async function runJunk(options = {}) {
  const o = { ...JUNK_DEFAULTS, ...options };
  const log = (m) => console.error(`[junk] ${m}`);
  const { peer, target, close } = await setUp(o, log);
  const send = (requests, opts) => sendAll(requests, { host: target.host, port: target.port, concurrency: o.dmC, ...opts });
  const figures = [];
  try {
    await warmUp(peer, target, send, log);
    const M = peer.actors.length;
    const jobs = (label, extra) => Array.from({ length: o.pool }, (_, i) => ({ actor: i % M, url: target.inboxUrl, recipient: target.recipient, n: `${label}${i}`, ...extra(i) }));
    const pools = {
      unsigned: await presignAll(jobs("junk-u", () => ({ unsigned: true })), peer.actors),
      badsig: await presignAll(jobs("junk-b", (i) => ({ signWith: (i + 1) % M })), peer.actors),
      oversize: rawPost(target.inboxUrl, "", { contentLength: o.oversizeBytes }),
    };
    const describe = {
      unsigned: "unsigned POSTs",
      badsig: "bad signatures for a known key",
      oversize: `oversize bodies (Content-Length ${o.oversizeBytes}, a new connection each)`,
    };

    // Phase 1: each kind alone.
    for (const kind of ["unsigned", "badsig", "oversize"]) {
      const w = measureWindow(target.rootPid);
      const { perKind, ms } = await flood([kind], pools, o, target, sleep(o.seconds * 1000));
      const m = w.stop();
      const h = perKind[kind];
      const refused = refusedIn(h);
      log(`${kind}: ${JSON.stringify(h)} in ${Math.round(ms)} ms`);
      figures.push(figure("junk", `${describe[kind]}: refused per second`, refused / (ms / 1000), "/s", [">=", 10_000], `statuses ${JSON.stringify(h)}`));
      if (m.serverCpuMs !== null) figures.push(figure("junk", `${describe[kind]}: server CPU per refusal`, m.serverCpuMs / Math.max(1, refused), "ms", ["<=", 0.1], `client ${round((100 * m.clientCpuMs) / m.wallMs, 0)} % of a core`));
      await sleep(500);
      if (kind === "oversize" && o.floor) figures.push(...(await oversizeFloors(pools.oversize, o, describe.oversize, log)));
    }

    // Phase 2: all junk at once while real DMs arrive at a modest rate.
    const nDms = Math.max(1, Math.round(o.dmRate * o.seconds));
    const { requests } = await presignDms(peer, target, nDms, "real", log);
    const base = (await target.stored?.count()) ?? 0;
    const w = measureWindow(target.rootPid);
    const start = performance.now();
    const sending = send(requests, { rate: o.dmRate });
    // Junk for as long as the DMs are being sent (a slow server: at most 4 × --seconds).
    const { perKind, ms } = await flood(["unsigned", "badsig", "oversize"], pools, o, target, Promise.race([sending, sleep(4 * o.seconds * 1000)]));
    const m = w.stop();
    const dms = await sending;
    const accepted = dms.filter((r) => r.status === 202).length;
    const done = target.stored ? await waitForStored(target.stored, base + accepted, { idleMs: o.storeTimeout * 1000 }) : null;
    const all = Object.values(perKind).reduce((acc, h) => {
      for (const [s, c] of Object.entries(h)) acc[s] = (acc[s] ?? 0) + c;
      return acc;
    }, {});
    const refused = refusedIn(all);
    const lat = summarize(dms.map((r) => r.ms));
    const note = `${o.dmRate} DMs/s offered for ${o.seconds} s`;
    figures.push(figure("junk", "all three kinds at once, refused per second, while real DMs flow", refused / (ms / 1000), "/s", [">=", 10_000], `junk statuses ${JSON.stringify(all)}`));
    if (m.serverCpuMs !== null) figures.push(figure("junk", "  server CPU per refusal (the real DMs' work included)", m.serverCpuMs / Math.max(1, refused), "ms", null, `client ${round((100 * m.clientCpuMs) / m.wallMs, 0)} % of a core`));
    figures.push(figure("junk", "  junk answered 202", all[202] ?? 0, "requests", ["=", 0]));
    figures.push(figure("junk", "  real DMs accepted per second meanwhile", accepted / (ms / 1000), "/s", null, `${note}; statuses ${JSON.stringify(histogram(dms))}`));
    if (done) {
      const stored = done.count - base;
      figures.push(figure("junk", "  real DMs stored per second meanwhile", stored / (((done.at ?? performance.now()) - start) / 1000), "/s", null, `until the last was stored; ${accepted - stored} of ${accepted} accepted not stored`));
    }
    figures.push(figure("junk", "  real DMs latency p99", lat.p99, "ms", ["<", 50], `p50 ${round(lat.p50)} ms`));
  } finally {
    await close();
  }
  return figures;
}

await runAsScript(import.meta.url, runJunk, JUNK_DEFAULTS);
