#!/usr/bin/env node
// Inbox throughput: a loopback peer with M actors sends N pre-signed DMs at
// concurrency C to an inbox, and the benchmark reports accepted/s (202s),
// stored/s (until the last accepted DM is stored), request latency, what was
// lost (accepted, never stored), and the CPU time and peak RSS of the
// server's whole process tree (every descendant of its root pid, whatever
// they are) beside this client's own CPU time.
//
//   node scripts/bench/inbox.mjs [--n 2000] [--c 32] [--actors 50] [--inbox shared|personal]
//                                [--node-options "NODE_OPTIONS"] [--node-args "V8 FLAGS"] [--server-log FILE]
//                                [--store-timeout 60] [--profile DIR]
//                                [--warm N: N more DMs at concurrency C before the measured window]
//   Another server, measured the same way:
//   node scripts/bench/inbox.mjs --target http://127.0.0.1:8080/users/alice/inbox [--recipient ACTOR_URL]
//        [--pid PID] [--stored-sql "SELECT count(*) FROM …" --db FILE | --stored-cmd "prints a number"]
//
// Without --target a fresh Moiety is set up and served from this checkout's
// build. The DMs are signed on worker threads before the load window and sent
// over raw keep-alive sockets (lib/sign.mjs, lib/rawhttp.mjs). --profile DIR
// records V8 CPU profiles of every Node process of Moiety's tree
// (lib/profiler-preload.mjs): one for start-up and warm-up, one for the load.
// --node-args puts flags on the server's node command line (V8's own, such as
// --trace-opt, which Node 20 refuses in NODE_OPTIONS); --server-log FILE keeps
// what the server prints. The log line "server CPU by thread" splits the
// window's CPU between the main thread and the others (V8's compiler and GC
// helpers, SQLite's checkpoint thread).

import fs from "node:fs";
import { measureWindow, presignDms, setUp, warmUp } from "./lib/load.mjs";
import { sleep } from "./lib/moiety.mjs";
import { selfCpuMs, treePids } from "./lib/proctree.mjs";
import { histogram, sendAll } from "./lib/rawhttp.mjs";
import { MB, figure, round, summarize } from "./lib/report.mjs";
import { TARGET_DEFAULTS, waitForStored } from "./lib/target.mjs";
import { runAsScript } from "./lib/script.mjs";

export const INBOX_DEFAULTS = { n: 2000, c: 32, actors: 50, storeTimeout: 60, profile: "", warm: 0, ...TARGET_DEFAULTS };

/** With --profile: NODE_OPTIONS and env that make each server process record a CPU profile, cut on SIGUSR2. */
function profiling(o) {
  if (!o.profile) return {};
  const preload = new URL("./lib/profiler-preload.mjs", import.meta.url).pathname;
  return { nodeOptions: [o.nodeOptions, `--import ${preload}`].filter(Boolean).join(" "), env: { MOIETY_BENCH_PROFILE_DIR: o.profile } };
}

/** Ask every process of the tree to write the profile recorded so far. */
async function cutProfile(o, rootPid) {
  if (!o.profile || !rootPid) return;
  // Only Node processes have the preload; SIGUSR2 would end anything else.
  for (const pid of treePids(rootPid)) if (fs.readlinkSync(`/proc/${pid}/exe`) === process.execPath) process.kill(pid, "SIGUSR2");
  await sleep(1500);
}

/** The issue-15 targets for a run of `n` DMs: ≥ 1,500 stored/s over 2,000, ≥ 2,500/s sustained over 10,000. */
export const storedTarget = (n) => (n >= 10_000 ? 2500 : 1500);

export async function runInbox(options = {}) {
  const o = { ...INBOX_DEFAULTS, ...options };
  Object.assign(o, profiling(o));
  const log = (m) => console.error(`[inbox] ${m}`);
  const { peer, target, close } = await setUp(o, log);
  const send = (requests, opts) => sendAll(requests, { host: target.host, port: target.port, concurrency: o.c, ...opts });
  const figures = [];
  try {
    await warmUp(peer, target, send, log);
    if (o.warm > 0) {
      // A server that has been taking DMs for a while: its JIT is warm, its caches full.
      const before = (await target.stored?.count()) ?? 0;
      const warm = await send((await presignDms(peer, target, o.warm, "x", log)).requests);
      if (target.stored) await waitForStored(target.stored, before + warm.filter((r) => r.status === 202).length, { idleMs: o.storeTimeout * 1000 });
      log(`warmed with ${o.warm} more DMs`);
    }
    const { requests } = await presignDms(peer, target, o.n, "", log);
    const baseStored = (await target.stored?.count()) ?? 0;
    const actorGetsBefore = peer.stats.actorGets;

    await cutProfile(o, target.rootPid); // start-up and warm-up: part 1
    const window = measureWindow(target.rootPid);
    const start = performance.now();
    const clientCpu0 = selfCpuMs();
    const results = await send(requests);
    const sentAt = performance.now();
    const clientCpuSending = selfCpuMs() - clientCpu0;
    const accepted = results.filter((r) => r.status === 202).length;
    log(`sent ${o.n} in ${Math.round(sentAt - start)} ms, ${accepted} accepted; waiting for them to be stored…`);
    const done = target.stored ? await waitForStored(target.stored, baseStored + accepted, { idleMs: o.storeTimeout * 1000 }) : null;
    const m = window.stop();
    await cutProfile(o, target.rootPid); // the load: part 2
    const stored = done ? done.count - baseStored : null;
    const end = done?.at ?? performance.now();

    const lat = summarize(results.map((r) => r.ms));
    const lastAccept = results.reduce((t, r) => (r.status === 202 ? Math.max(t, r.end) : t), start);
    const hist = histogram(results);
    const note = `N=${o.n}, C=${o.c}, M=${o.actors}`;
    figures.push(figure("inbox", "accepted (202) per second", accepted / Math.max(0.001, (lastAccept - start) / 1000), "/s", null, note));
    if (stored !== null) {
      figures.push(
        figure("inbox", "stored per second", stored / ((end - start) / 1000), "/s", [">=", storedTarget(o.n)], done.at ? `until the last accepted DM was stored` : `gave up: ${stored}/${accepted} stored`),
        figure("inbox", "lost (accepted, not stored)", Math.max(0, accepted - stored), "DMs", ["=", 0], `${accepted} accepted, ${stored} stored`),
      );
    }
    figures.push(
      figure("inbox", "latency p50", lat.p50, "ms"),
      figure("inbox", "latency p95", lat.p95, "ms"),
      figure("inbox", "latency p99", lat.p99, "ms", ["<", 50]),
      figure("inbox", "latency max", lat.max, "ms"),
    );
    if (m.serverCpuMs !== null) {
      const per = stored ?? accepted;
      figures.push(
        figure("inbox", "server CPU per stored DM", m.serverCpuMs / Math.max(1, per), "ms", ["<=", 0.5], `user+sys of the whole tree (${m.processes} process${m.processes === 1 ? "" : "es"}), send → last stored`),
        figure("footprint", "RSS of the tree under inbox load (peak)", m.rssPeak / MB, "MB", ["<", 200], note),
      );
    }
    // This process also runs the peer and polls the stored count; while sending, the count is not polled.
    figures.push(figure("inbox", "client CPU per request while sending (this benchmark, the peer included)", clientCpuSending / o.n, "ms", null, `${round((100 * clientCpuSending) / (sentAt - start), 0)} % of one core; the server's tree used ${m.serverCpuMs === null ? "?" : round((100 * m.serverCpuMs) / m.wallMs, 0)} %`));
    figures.push(figure("inbox", "actor document GETs during the run", peer.stats.actorGets - actorGetsBefore, "requests", null, `${o.n} DMs from ${o.actors} actors`));
    figures.push({ bench: "inbox", name: "status histogram", value: JSON.stringify(hist), unit: "" });
    log(`stored ${stored ?? "?"} in ${round((end - start) / 1000)} s; statuses ${JSON.stringify(hist)}`);
    if (m.serverCpuMs !== null) log(`server CPU by thread (ms): ${JSON.stringify(m.threads)}`);
  } finally {
    await close();
  }
  return figures;
}

await runAsScript(import.meta.url, runInbox, INBOX_DEFAULTS);
