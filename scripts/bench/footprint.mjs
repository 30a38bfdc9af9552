#!/usr/bin/env node
// Footprint: time from `moiety serve` (app already built, owner set up) to
// the first 200 from /api/health, and the resident memory of the server
// processes once started and idle (the front process plus Next's child,
// summed from /proc). Median of --starts runs on one data dir.
//
//   node scripts/bench/footprint.mjs [--starts 3] [--settle 3] [--node-options "V8 FLAGS"]

import { prepareInstance, removeTempDirs, rssOf, serve, sleep } from "./lib/moiety.mjs";
import { MB, figure, markdownTable, parseArgs, printFigure, summarize } from "./lib/report.mjs";

export const FOOTPRINT_DEFAULTS = { starts: 3, settle: 3, nodeOptions: "" };

export async function runFootprint(options = {}) {
  const o = { ...FOOTPRINT_DEFAULTS, ...options };
  const log = (m) => console.error(`[footprint] ${m}`);
  const inst = await prepareInstance();
  const runs = [];
  for (let i = 0; i < o.starts; i++) {
    const server = await serve({ ...inst, env: o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {} });
    await sleep(o.settle * 1000);
    const [front, ...rest] = server.pids();
    const run = { readyMs: server.readyMs, front: rssOf([front]), next: rssOf(rest) };
    runs.push(run);
    log(`start ${i + 1}: healthy after ${Math.round(run.readyMs)} ms; idle RSS front ${Math.round(run.front / MB)} MB + Next ${Math.round(run.next / MB)} MB`);
    await server.stop();
  }
  const ready = summarize(runs.map((r) => r.readyMs));
  const front = summarize(runs.map((r) => r.front / MB)).p50;
  const next = summarize(runs.map((r) => r.next / MB)).p50;
  return [
    figure("footprint", "`moiety serve` → healthy (median)", ready.p50, "ms", ["<", 3000], `${o.starts} starts, min ${Math.round(ready.min)} ms`),
    figure("footprint", "idle RSS after start, front + Next", front + next, "MB", ["<", 150], `front ${Math.round(front)} MB, Next ${Math.round(next)} MB, ${o.settle} s after healthy`),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await runFootprint(parseArgs(process.argv.slice(2), FOOTPRINT_DEFAULTS));
  for (const f of figures) printFigure(f);
  console.log(markdownTable(figures));
  if (!process.argv.includes("--keep")) removeTempDirs();
}
