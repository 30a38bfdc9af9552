#!/usr/bin/env node
// Inbox throughput: a peer with M actors sends N pre-signed DMs to a running
// Moiety at concurrency C. Reports accepted/s (202s), stored/s (rows in the
// Message table, polled read-only), request latency and a status histogram,
// plus the servers' peak RSS and CPU time while it ran.
//
//   node scripts/bench/inbox.mjs [--n 2000] [--c 32] [--actors 50] [--target shared|personal]
//                                [--store-timeout 240] [--profile DIR] [--node-options "V8 FLAGS"]

import http from "node:http";
import path from "node:path";
import Database from "better-sqlite3";
import { cpuMsOf, prepareInstance, removeTempDirs, rssSampler, serve, sleep } from "./lib/moiety.mjs";
import { dmActivity, presign, startPeer } from "./lib/peer.mjs";
import { MB, figure, markdownTable, parseArgs, printFigure, round, summarize } from "./lib/report.mjs";

export const INBOX_DEFAULTS = { n: 2000, c: 32, actors: 50, target: "shared", storeTimeout: 240, profile: "", nodeOptions: "" };

function post(agent, port, req) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const r = http.request({ host: "127.0.0.1", port, method: "POST", path: req.path, headers: req.headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - t0, end: performance.now() }));
    });
    r.on("error", (e) => resolve({ status: `error:${e.code ?? e.message}`, ms: performance.now() - t0, end: performance.now() }));
    r.end(req.body);
  });
}

/** Send every request with `concurrency` in flight. */
async function sendAll(requests, port, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const results = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      results[i] = await post(agent, port, requests[i]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return results;
}

function storedCounter(dataDir) {
  const db = new Database(path.join(dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  const stmt = db.prepare("SELECT count(*) AS n FROM Message WHERE direction = 'in'");
  const queued = db.prepare("SELECT count(*) AS n FROM QueueMessage");
  return { stored: () => stmt.get().n, queued: () => queued.get().n, close: () => db.close() };
}

/** Wait until `count()` reaches `target`; returns the time it did (or null on timeout). */
async function waitForStored(counter, target, timeoutMs, onSample) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const n = counter.stored();
    onSample?.(n);
    if (n >= target) return performance.now();
    if (performance.now() > deadline) return null;
    await sleep(25);
  }
}

export async function runInbox(options = {}) {
  const o = { ...INBOX_DEFAULTS, ...options };
  const log = (m) => console.error(`[inbox] ${m}`);
  const peer = await startPeer({ actors: o.actors });
  const inst = await prepareInstance();
  // Node 20 refuses --cpu-prof in NODE_OPTIONS: the preload drives the same profiler (lib/profiler-preload.mjs).
  const preload = new URL("./lib/profiler-preload.mjs", import.meta.url).pathname;
  // --node-options: V8 flags for both server processes, e.g. "--max-semi-space-size=2 --max-old-space-size=160".
  const nodeOptions = [o.nodeOptions, o.profile ? `--import ${preload}` : ""].filter(Boolean).join(" ");
  const env = { ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...(o.profile ? { MOIETY_BENCH_PROFILE_DIR: o.profile } : {}) };
  /** Ask both server processes to write the profile recorded so far (and start a new one). */
  const cutProfile = async () => {
    if (!o.profile) return;
    for (const pid of server.pids()) process.kill(pid, "SIGUSR2");
    await sleep(1500);
  };
  const server = await serve({ ...inst, env });
  log(`server ready in ${Math.round(server.readyMs)} ms; peer ${peer.origin} with ${o.actors} actors`);
  const counter = storedCounter(inst.dataDir);
  const inbox = o.target === "personal" ? `${inst.actor}/inbox` : `${inst.origin}/inbox`;
  const figures = [];
  try {
    // Warm-up: one DM per actor (first contact: key and actor fetches, module loading).
    const warm = await Promise.all(peer.actors.map((a, i) => presign(a, inbox, JSON.stringify(dmActivity(a, inst.actor, `w${i}`)))));
    const warmResults = await sendAll(warm, inst.port, Math.min(o.c, 8));
    const warmOk = warmResults.filter((r) => r.status === 202).length;
    await waitForStored(counter, warmOk, 120_000);
    log(`warm-up: ${warmOk}/${warm.length} accepted and stored`);

    const t0 = performance.now();
    const requests = [];
    for (let i = 0; i < o.n; i++) {
      const a = peer.actors[i % peer.actors.length];
      requests.push(await presign(a, inbox, JSON.stringify(dmActivity(a, inst.actor, i))));
    }
    log(`pre-signed ${o.n} DMs in ${Math.round(performance.now() - t0)} ms`);
    const baseStored = counter.stored();
    const actorGetsBefore = peer.stats.actorGets;

    await cutProfile(); // start-up and warm-up: part 1
    const pids = server.pids();
    const nextPids = pids.slice(1); // [front, Next child]
    const cpuBefore = cpuMsOf(pids);
    const nextCpuBefore = cpuMsOf(nextPids);
    const rss = rssSampler(server);
    let maxQueued = 0;
    const queueWatch = setInterval(() => (maxQueued = Math.max(maxQueued, counter.queued())), 100);
    const start = performance.now();
    const sending = sendAll(requests, inst.port, o.c);
    const results = await sending;
    const sentAt = performance.now();
    const accepted = results.filter((r) => r.status === 202).length;
    log(`sent ${o.n} in ${Math.round(sentAt - start)} ms, ${accepted} accepted; waiting for them to be stored…`);
    const storedAt = await waitForStored(counter, baseStored + accepted, o.storeTimeout * 1000);
    clearInterval(queueWatch);
    const end = storedAt ?? performance.now();
    const stored = counter.stored() - baseStored;
    const { peak: peakRss, peaks: rssPeaks } = rss.stop();
    const cpuMs = cpuMsOf(pids) - cpuBefore;
    const nextCpuMs = cpuMsOf(nextPids) - nextCpuBefore;
    await cutProfile(); // the load: part 2

    const lat = summarize(results.map((r) => r.ms));
    const lastAccept = Math.max(...results.filter((r) => r.status === 202).map((r) => r.end), start);
    const hist = {};
    for (const r of results) hist[r.status] = (hist[r.status] ?? 0) + 1;
    const acceptedPerS = accepted === 0 ? 0 : accepted / ((lastAccept - start) / 1000);
    const storedPerS = stored / ((end - start) / 1000);
    const note = `N=${o.n}, C=${o.c}, M=${o.actors}, ${o.target} inbox`;
    figures.push(
      figure("inbox", "accepted (202) per second", acceptedPerS, "/s", null, note),
      figure("inbox", "stored per second", storedPerS, "/s", [">=", 1000], storedAt ? undefined : `timed out: ${stored}/${accepted} stored`),
      figure("inbox", "latency p50", lat.p50, "ms"),
      figure("inbox", "latency p95", lat.p95, "ms"),
      figure("inbox", "latency p99", lat.p99, "ms", ["<", 100]),
      figure("inbox", "latency max", lat.max, "ms"),
      figure("inbox", "server CPU per stored DM", cpuMs / Math.max(1, stored), "ms", null, `front ${((cpuMs - nextCpuMs) / Math.max(1, stored)).toFixed(1)} ms + Next ${(nextCpuMs / Math.max(1, stored)).toFixed(1)} ms, user+sys`),
      // Next's one event loop takes the POSTs and runs the inbox worker: this is its ceiling on an otherwise idle core.
      figure("inbox", "ceiling of Next's single thread at that cost", 1000 / Math.max(0.01, nextCpuMs / Math.max(1, stored)), "DMs/s"),
      figure("inbox", "queue backlog peak", maxQueued, "messages"),
      figure("inbox", "actor document GETs during the run", peer.stats.actorGets - actorGetsBefore, "requests", null, `${o.n} DMs from ${o.actors} actors`),
      figure("footprint", "RSS under inbox load (peak)", peakRss / MB, "MB", ["<", 300], `front ${Math.round(rssPeaks[0] / MB)} MB, Next ${Math.round(rssPeaks.slice(1).reduce((a, b) => a + b, 0) / MB)} MB at their peaks`),
    );
    figures.statusHistogram = hist;
    figures.push({ bench: "inbox", name: "status histogram", value: JSON.stringify(hist), unit: "" });
    log(`stored ${stored} in ${round((end - start) / 1000)} s; statuses ${JSON.stringify(hist)}`);
  } finally {
    counter.close();
    await server.stop();
    await peer.close();
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = parseArgs(process.argv.slice(2), INBOX_DEFAULTS);
  const figures = await runInbox(opts);
  for (const f of figures) printFigure(f);
  console.log(markdownTable(figures));
  if (!process.argv.includes("--keep")) removeTempDirs();
}
