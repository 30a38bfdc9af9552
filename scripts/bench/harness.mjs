#!/usr/bin/env node
// Runs scripts/bench/inbox-harness.ts (the inbox path without Next) on a fresh
// data dir and prints its figures; with --profile DIR it records V8 CPU
// profiles of the two measured phases (accept, process: the same sampling
// profiler `node --cpu-prof` uses, started and stopped around each phase
// through node:inspector) and summarises them.
//
//   node scripts/bench/harness.mjs [--n 500] [--c 32] [--actors 20] [--profile DIR]

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT, prepareInstance, removeTempDirs } from "./lib/moiety.mjs";
import { parseArgs } from "./lib/report.mjs";
import { profileMarkdown, summarizeProfile } from "./cpuprofile.mjs";

export const HARNESS_DEFAULTS = { n: 500, c: 32, actors: 20, profile: "" };

export async function runHarness(options = {}) {
  const o = { ...HARNESS_DEFAULTS, ...options };
  const inst = await prepareInstance();
  const args = [
    "--import",
    "tsx",
    path.join(ROOT, "scripts/bench/inbox-harness.ts"),
    "--n",
    String(o.n),
    "--c",
    String(o.c),
    "--actors",
    String(o.actors),
  ];
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...(o.profile ? { MOIETY_BENCH_PROFILE_DIR: o.profile } : {}), MOIETY_DATA_DIR: inst.dataDir, MOIETY_ORIGIN: inst.origin, MOIETY_ALLOW_PRIVATE_ADDRESSES: "1", NODE_ENV: "production" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`harness failed (${r.status}):\n${r.stderr.slice(-4000)}`);
  const result = JSON.parse(r.stdout.trim().split("\n").at(-1));
  if (o.profile) {
    result.profiles = {};
    for (const phase of ["accept", "process"]) {
      const file = path.join(o.profile, `${phase}.cpuprofile`);
      result.profiles[phase] = { file, summary: summarizeProfile(JSON.parse(fs.readFileSync(file, "utf8")), { top: 30 }) };
    }
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = parseArgs(process.argv.slice(2), HARNESS_DEFAULTS);
  const r = await runHarness(o);
  const { profiles, ...rest } = r;
  console.log(JSON.stringify(rest, null, 2));
  for (const [phase, p] of Object.entries(profiles ?? {})) console.log(profileMarkdown(p.summary, `${phase} phase (${p.file})`));
  if (!process.argv.includes("--keep")) removeTempDirs();
}
