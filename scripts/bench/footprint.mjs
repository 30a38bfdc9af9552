#!/usr/bin/env node
// Footprint: time from `moiety serve` (app already built, owner set up) to
// the first 200 from /api/health, and the resident memory of the server's
// whole process tree (the root and every descendant, summed from /proc:
// one process or several, whatever `moiety serve` starts) once started and
// idle for --settle seconds. Median of --starts runs on one data dir.
// Then the same after one page (GET /login), for what lazy loading puts off.
// The tree's peak under load is measured by inbox.mjs.
//
//   node scripts/bench/footprint.mjs [--starts 3] [--settle 3] [--node-options "NODE_OPTIONS"] [--node-args "V8 FLAGS"]

import { prepareInstance, serve, sleep } from "./lib/moiety.mjs";
import { rssOfPids, treePids } from "./lib/proctree.mjs";
import { MB, figure, summarize } from "./lib/report.mjs";
import { runAsScript } from "./lib/script.mjs";

export const FOOTPRINT_DEFAULTS = { starts: 3, settle: 3, nodeOptions: "", nodeArgs: "" };

export async function runFootprint(options = {}) {
  const o = { ...FOOTPRINT_DEFAULTS, ...options };
  const log = (m) => console.error(`[footprint] ${m}`);
  const inst = await prepareInstance();
  const runs = [];
  for (let i = 0; i < o.starts; i++) {
    const server = await serve({ ...inst, env: o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {}, nodeArgs: o.nodeArgs });
    await sleep(o.settle * 1000);
    const pids = treePids(server.process.pid);
    const each = pids.map((p) => rssOfPids([p]));
    const run = { readyMs: server.readyMs, rss: each.reduce((a, b) => a + b, 0), processes: pids.length, each };
    // What lazy loading put off: the tree once a page has been served.
    const page = await fetch(`${server.url}/login`);
    await page.arrayBuffer();
    await sleep(o.settle * 1000);
    const after = treePids(server.process.pid);
    Object.assign(run, { pageStatus: page.status, pageRss: rssOfPids(after), pageProcesses: after.length });
    runs.push(run);
    log(`start ${i + 1}: healthy after ${Math.round(run.readyMs)} ms; idle RSS ${Math.round(run.rss / MB)} MB in ${pids.length} process(es): ${each.map((b) => Math.round(b / MB)).join(" + ")} MB; ${Math.round(run.pageRss / MB)} MB in ${after.length} after GET /login (${page.status})`);
    await server.stop();
  }
  const ready = summarize(runs.map((r) => r.readyMs));
  const rss = summarize(runs.map((r) => r.rss / MB));
  const median = runs.find((r) => r.rss / MB === rss.p50);
  return [
    figure("footprint", "`moiety serve` → healthy (median)", ready.p50, "ms", ["<", 1500], `${o.starts} starts, min ${Math.round(ready.min)} ms`),
    figure("footprint", "idle RSS of the whole process tree after start (median)", rss.p50, "MB", ["<", 120], `${median.processes} process(es): ${median.each.map((b) => Math.round(b / MB)).join(" + ")} MB, ${o.settle} s after healthy`),
    figure("footprint", "RSS of the tree once a page has been served (median)", summarize(runs.map((r) => r.pageRss / MB)).p50, "MB", null, `GET /login → ${median.pageStatus}, ${median.pageProcesses} process(es), ${o.settle} s later`),
  ];
}

await runAsScript(import.meta.url, runFootprint, FOOTPRINT_DEFAULTS);
