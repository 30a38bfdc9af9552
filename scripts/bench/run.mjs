#!/usr/bin/env node
// `npm run bench`: every benchmark of issue 7 with its defaults, one after
// the other (they would disturb each other's numbers run together), then the
// inbox hot-path profile. Prints a markdown table per benchmark and one JSON
// line per figure ("BENCH {…}"), and rewrites the generated part of
// docs/BENCHMARKS.md (between its bench:results markers; the prose around it
// is kept).
//
//   node scripts/bench/run.mjs [--only footprint,inbox,fanout,ui,profile] [--quick]
//                              [--messages N] [--conversations N] [--n N] [--c N] [--actors N] [--no-docs] [--keep]
//
// --quick: 100,000 messages and 1,000 inbox DMs. --keep: leave the temporary data dirs.
// MOIETY_BENCH_ROOT=DIR runs another checkout's build (e.g. a private copy).

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { profileMarkdown } from "./cpuprofile.mjs";
import { runFanout } from "./fanout.mjs";
import { runFootprint } from "./footprint.mjs";
import { runHarness } from "./harness.mjs";
import { INBOX_DEFAULTS, runInbox } from "./inbox.mjs";
import { ROOT, removeTempDirs, tempDir } from "./lib/moiety.mjs";
import { markdownTable, parseArgs, printFigure, round } from "./lib/report.mjs";
import { UI_DEFAULTS, runUi } from "./ui.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DOC = path.resolve(HERE, "..", "..", "docs", "BENCHMARKS.md");
const START = "<!-- bench:results -->";
const END = "<!-- /bench:results -->";

const o = parseArgs(process.argv.slice(2), {
  only: "footprint,inbox,fanout,ui,profile",
  quick: false,
  messages: UI_DEFAULTS.messages,
  conversations: UI_DEFAULTS.conversations,
  n: INBOX_DEFAULTS.n,
  c: INBOX_DEFAULTS.c,
  actors: INBOX_DEFAULTS.actors,
  docs: true,
  noDocs: false,
  keep: false,
});
if (o.quick) {
  if (!process.argv.includes("--messages")) o.messages = 100_000;
  if (!process.argv.includes("--n")) o.n = 1000;
}
const only = new Set(String(o.only).split(","));

function machine() {
  const cpus = os.cpus();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: HERE, encoding: "utf8" }).trim();
    if (execFileSync("git", ["--no-optional-locks", "status", "--porcelain"], { cwd: HERE, encoding: "utf8" }).trim()) commit += " + uncommitted changes";
  } catch {
    // not a checkout
  }
  return {
    cpu: `${cpus[0]?.model ?? "?"} × ${cpus.length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    commit,
    load: os.loadavg().map((l) => l.toFixed(2)).join(" "),
    build: process.env.MOIETY_BENCH_ROOT ? `the build in ${ROOT}` : "this checkout's build",
  };
}

const sections = [];
const started = Date.now();
const m = machine();
console.log(`# Moiety benchmarks — ${new Date().toISOString()}\n\n${m.cpu}, ${m.memory}, Node ${m.node}, ${m.os}, commit ${m.commit}, ${m.build}, load average ${m.load}\n`);

async function section(key, title, fn) {
  if (!only.has(key)) return;
  const t0 = Date.now();
  const loadBefore = os.loadavg()[0];
  const figures = await fn();
  const note = `${round((Date.now() - t0) / 1000, 0)} s; 1-minute load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after`;
  for (const f of figures) printFigure(f);
  const table = markdownTable(figures);
  console.log(`\n## ${title}\n\n${table}\n\n(${note})\n`);
  sections.push({ title, table, note, extra: figures.extra });
}

await section("footprint", "Footprint: start-up and idle memory", () => runFootprint());
await section("inbox", "Inbox throughput", () => runInbox({ n: o.n, c: o.c, actors: o.actors }));
await section("fanout", "Fan-out: one DM to 100 recipients", () => runFanout());
await section("ui", "UI at scale", () => runUi({ messages: o.messages, conversations: o.conversations }));
await section("profile", "Inbox hot path, profiled (no Next: scripts/bench/harness.mjs)", async () => {
  const dir = tempDir("moiety-bench-profile-");
  const r = await runHarness({ n: 500, profile: dir });
  const f = (phase, key) => round(r[phase][key], 2);
  const figures = [
    { bench: "profile", name: "accept: CPU per DM (signature check, KV, enqueue)", value: f("accept", "cpuMsPerDm"), unit: "ms", note: `${f("accept", "queriesPerDm")} SQL statements per DM` },
    { bench: "profile", name: "process: CPU per DM (worker, listener, store)", value: f("process", "cpuMsPerDm"), unit: "ms", note: `${f("process", "queriesPerDm")} SQL statements per DM` },
    { bench: "profile", name: "process: actor document fetches per DM", value: f("process", "actorGetsPerDm"), unit: "" },
  ];
  const b = r.breakdownMs;
  figures.push(
    { bench: "profile", name: "one accept through Fedify, sequential (no inbox guard, no Next)", value: round(b.wholeAccept, 2), unit: "ms" },
    { bench: "profile", name: "  inbox guard (proxy.ts: body parse, 2 block checks)", value: round(b.inboxGuard, 2), unit: "ms" },
    { bench: "profile", name: "  load + import the instance actor's keys (per accept and per worker message)", value: round(b.loadInstanceKeys, 2), unit: "ms" },
    { bench: "profile", name: "  Activity.fromJsonLd (×3 per accept: LD-signature probe, proof probe, after the HTTP signature; ×1 in the worker)", value: round(b.activityFromJsonLd, 2), unit: "ms" },
    { bench: "profile", name: "  HTTP signature check (cached key parsed from JSON-LD + RSA verify + Digest)", value: round(b.verifyHttpSignature, 2), unit: "ms" },
    { bench: "profile", name: "  KV get / KV set (SQLite)", value: `${round(b.kvGet, 2)} / ${round(b.kvSet, 2)}`, unit: "ms" },
    { bench: "profile", name: "  queue enqueue (own transaction, committed before the 202)", value: round(b.queueEnqueue, 2), unit: "ms" },
  );
  figures.extra = ["accept", "process"].map((phase) => profileMarkdown(r.profiles[phase].summary, `${phase} phase`)).join("\n\n");
  console.log(figures.extra);
  return figures;
});

if (!o.keep) removeTempDirs(); // data dirs, the seeded one included (about 2 GB at a million messages)
const total = round((Date.now() - started) / 1000, 0);
console.log(`\nAll done in ${total} s.`);

if (o.docs && !o.noDocs && sections.length > 0) {
  const generated = [
    START,
    `_Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC (${total} s): ${m.cpu}, ${m.memory}, Node ${m.node}, commit ${m.commit}, ${m.build}; load average at start ${m.load}._`,
    "",
    ...sections.flatMap((s) => [`### ${s.title}`, "", s.table, "", `_${s.note}_`, "", ...(s.extra ? ["<details><summary>CPU profiles</summary>", "", s.extra, "", "</details>", ""] : [])]),
    END,
  ].join("\n");
  let doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : `# Benchmarks\n\n${START}\n${END}\n`;
  if (!doc.includes(START) || !doc.includes(END)) doc += `\n## Latest results\n\n${START}\n${END}\n`;
  doc = doc.slice(0, doc.indexOf(START)) + generated + doc.slice(doc.indexOf(END) + END.length);
  fs.writeFileSync(DOC, doc);
  console.log(`Wrote ${path.relative(process.cwd(), DOC)}.`);
}
