#!/usr/bin/env node
// Nothing accepted is lost, even through a kill -9: a burst of N pre-signed
// DMs at concurrency C into a fresh Moiety; once K of them have been answered
// 202 the server's whole process tree is killed with SIGKILL; `moiety serve`
// is started again on the same data dir and port, and every DM that did not
// get a 202 is sent again (as a real sender retries), until all have one.
// Then every DM that was ever answered 202 must be stored exactly once
// (Message rows by the Note's id, which is the object id Moiety keeps).
//
//   node scripts/bench/crash.mjs [--n 100000] [--kill-at N/2] [--c 32] [--actors 50] [--rounds 5] [--store-timeout 120]

import Database from "better-sqlite3";
import path from "node:path";
import { presignDms, setUp, warmUp } from "./lib/load.mjs";
import { sleep } from "./lib/moiety.mjs";
import { alive, killTree, treePids } from "./lib/proctree.mjs";
import { histogram, sendAll } from "./lib/rawhttp.mjs";
import { waitForStored } from "./lib/target.mjs";
import { figure } from "./lib/report.mjs";
import { runAsScript } from "./lib/script.mjs";

export const CRASH_DEFAULTS = { n: 100_000, killAt: 0, c: 32, actors: 50, rounds: 5, storeTimeout: 120 };

/** objectId → number of incoming Message rows with it. */
function storedCounts(dataDir) {
  const db = new Database(path.join(dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    return new Map(db.prepare("SELECT objectId, count(*) AS n FROM Message WHERE direction = 'in' GROUP BY objectId").raw().all());
  } finally {
    db.close();
  }
}

export async function runCrash(options = {}) {
  const o = { ...CRASH_DEFAULTS, ...options };
  if (options.target) throw new Error("crash.mjs restarts the server itself: it runs against a Moiety it starts (no --target)");
  const killAt = o.killAt || Math.floor(o.n / 2);
  const log = (m) => console.error(`[crash] ${m}`);
  const { peer, target, close } = await setUp({ ...o, target: "" }, log);
  const send = (requests, opts) => sendAll(requests, { host: target.host, port: target.port, concurrency: o.c, ...opts });
  const { dataDir } = target.moiety.inst;
  const figures = [];
  try {
    await warmUp(peer, target, send, log);
    const { requests, objectIds } = await presignDms(peer, target, o.n, "", log);
    const got202 = new Uint8Array(o.n);
    const baseStored = await target.stored.count();

    // The burst, and the kill in its middle.
    let accepted = 0;
    let killed = null;
    const rootPid = target.rootPid;
    const t0 = performance.now();
    const first = await send(requests, {
      onResult(i, r) {
        if (r.status !== 202) return;
        got202[i] = 1;
        if (++accepted === killAt && !killed) killed = { at: performance.now() - t0, pids: killTree(rootPid, "SIGKILL") };
      },
    });
    if (!killed) throw new Error(`only ${accepted} DMs were accepted, fewer than --kill-at ${killAt}: ${JSON.stringify(histogram(first))}`);
    await target.moiety.server.stop(); // reaps the root
    while (killed.pids.some(alive)) await sleep(20);
    const before = accepted;
    log(`killed ${killed.pids.length} processes after ${killAt} 202s (${Math.round(killed.at)} ms into the burst); ${before} answered 202 in all, first pass ${JSON.stringify(histogram(first))}`);

    // Restart on the same data dir; re-send what had no 202.
    const restartedAt = performance.now();
    const server = await target.start();
    log(`restarted: healthy after ${Math.round(server.readyMs)} ms (${treePids(target.rootPid).length} processes)`);
    let resent = 0;
    let round = 0;
    for (; round < o.rounds; round++) {
      const todo = [];
      for (let i = 0; i < o.n; i++) if (!got202[i]) todo.push(i);
      if (todo.length === 0) break;
      resent += todo.length;
      const results = await send(todo.map((i) => requests[i]));
      results.forEach((r, k) => r.status === 202 && (got202[todo[k]] = 1));
      log(`re-send round ${round + 1}: ${todo.length} sent, ${JSON.stringify(histogram(results))}`);
      if (results.some((r) => r.status !== 202)) await sleep(2000);
    }
    const everAccepted = got202.reduce((a, b) => a + b, 0);

    // Wait until everything accepted is stored (or nothing new is stored for
    // --store-timeout s): a cheap count first, then the exact check by id
    // (reading every stored id costs the client too much to poll it while the
    // server catches up).
    await waitForStored(target.stored, baseStored + everAccepted, { idleMs: o.storeTimeout * 1000, everyMs: 100 });
    let counts;
    let missing;
    let lastMissing = Infinity;
    let lastProgress = performance.now();
    for (;;) {
      counts = storedCounts(dataDir);
      missing = 0;
      for (let i = 0; i < o.n; i++) if (got202[i] && !counts.has(objectIds[i])) missing++;
      if (missing === 0) break;
      if (missing < lastMissing) [lastMissing, lastProgress] = [missing, performance.now()];
      if (performance.now() - lastProgress > o.storeTimeout * 1000) break;
      await sleep(1000);
    }
    let duplicates = 0;
    let storedOurs = 0;
    let storedWithout202 = 0;
    for (let i = 0; i < o.n; i++) {
      const c = counts.get(objectIds[i]) ?? 0;
      if (c > 0) storedOurs++;
      if (c > 1) duplicates += c - 1;
      if (c > 0 && !got202[i]) storedWithout202++;
    }
    const note = `N=${o.n}, C=${o.c}, kill -9 of the whole tree after ${killAt} 202s`;
    figures.push(
      figure("crash", "accepted (202) before the kill", before, "DMs", null, note),
      figure("crash", "accepted in all (after re-sending the rest)", everAccepted, "DMs", null, `${resent} re-sent in ${round} round(s)`),
      figure("crash", "stored (distinct DMs of this run)", storedOurs, "DMs", null, storedWithout202 ? `${storedWithout202} stored but never answered 202` : undefined),
      figure("crash", "lost (answered 202, not stored)", missing, "DMs", ["=", 0]),
      figure("crash", "stored more than once", duplicates, "rows", ["=", 0]),
      figure("crash", "restart → healthy", server.readyMs, "ms"),
      figure("crash", "restart → everything accepted stored", (performance.now() - restartedAt) / 1000, "s"),
    );
    log(`accepted ${everAccepted}, stored ${storedOurs}, lost ${missing}, duplicates ${duplicates}`);
  } finally {
    await close();
  }
  return figures;
}

await runAsScript(import.meta.url, runCrash, { ...CRASH_DEFAULTS, target: "" });
