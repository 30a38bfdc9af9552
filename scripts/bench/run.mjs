#!/usr/bin/env node
// `npm run bench`: every benchmark with its defaults, one after the other
// (they would disturb each other's numbers run together). Prints a markdown table per benchmark
// and one JSON line per figure ("BENCH {…}"), and rewrites the generated part
// of docs/BENCHMARKS.md (between its bench:results markers; the prose around
// it is kept), starting with a table of issue 15's targets beside snac2's
// figures from the issue.
//
//   node scripts/bench/run.mjs [--only footprint,inbox,warm,sustained,junk,crash,fanout,ui] [--quick]
//                              [--messages N] [--conversations N] [--n N] [--c N] [--actors N]
//                              [--sustained-n N] [--crash-n N] [--junk-seconds S] [--no-docs] [--keep]
//
// --quick: 100,000 messages for the UI, a 10,000-DM crash burst (instead of
// 100,000), 3 s per junk phase. --keep: leave the temporary data dirs.
// MOIETY_BENCH_ROOT=DIR runs another checkout's build (e.g. a private copy).

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CRASH_DEFAULTS, runCrash } from "./crash.mjs";
import { runFanout } from "./fanout.mjs";
import { runFootprint } from "./footprint.mjs";
import { INBOX_DEFAULTS, runInbox } from "./inbox.mjs";
import { JUNK_DEFAULTS, runJunk } from "./junk.mjs";
import { ROOT, removeTempDirs } from "./lib/moiety.mjs";
import { markdownTable, parseArgs, printFigure, round } from "./lib/report.mjs";
import { UI_DEFAULTS, runUi } from "./ui.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DOC = path.resolve(HERE, "..", "..", "docs", "BENCHMARKS.md");
const START = "<!-- bench:results -->";
const END = "<!-- /bench:results -->";

const o = parseArgs(process.argv.slice(2), {
  only: "footprint,inbox,warm,sustained,junk,crash,fanout,ui",
  quick: false,
  messages: UI_DEFAULTS.messages,
  conversations: UI_DEFAULTS.conversations,
  n: INBOX_DEFAULTS.n,
  c: INBOX_DEFAULTS.c,
  actors: INBOX_DEFAULTS.actors,
  sustainedN: 10_000,
  crashN: CRASH_DEFAULTS.n,
  junkSeconds: JUNK_DEFAULTS.seconds,
  docs: true,
  noDocs: false,
  keep: false,
});
if (o.quick) {
  if (!process.argv.includes("--messages")) o.messages = 100_000;
  if (!process.argv.includes("--crash-n")) o.crashN = 10_000;
  if (!process.argv.includes("--junk-seconds")) o.junkSeconds = 3;
}
const only = new Set(String(o.only).split(","));

/**
 * Issue 15's targets, where each figure comes from, and snac2's figure as the
 * issue gives it (measured with the same generator on this machine).
 */
const SUMMARY = [
  { label: "stored DMs/s, 2,000 at c32", target: "≥ 1,500 /s", section: "inbox", name: "stored per second", snac2: "~500 /s", before: "37 /s" },
  { label: "  the same, warm (after 2,000 others)", target: "≥ 1,500 /s", section: "warm", name: "stored per second", snac2: "—", before: "—" },
  { label: "stored DMs/s sustained, 10,000 at c32", target: "≥ 2,500 /s", section: "sustained", name: "stored per second", snac2: "—", before: "—" },
  { label: "latency p99, 2,000 at c32", target: "< 50 ms", section: "inbox", name: "latency p99", snac2: "~150 ms", before: "5.5 s" },
  { label: "  the same, warm", target: "< 50 ms", section: "warm", name: "latency p99", snac2: "—", before: "—" },
  { label: "latency p99, 10,000 at c32", target: "< 50 ms", section: "sustained", name: "latency p99", snac2: "—", before: "—" },
  { label: "server CPU per stored DM (whole tree), 2,000", target: "≤ 0.5 ms", section: "inbox", name: "server CPU per stored DM", snac2: "~1.2 ms", before: "~18.6 ms" },
  { label: "  the same, warm", target: "≤ 0.5 ms", section: "warm", name: "server CPU per stored DM", snac2: "—", before: "—" },
  { label: "  the same, sustained over 10,000", target: "≤ 0.5 ms", section: "sustained", name: "server CPU per stored DM", snac2: "—", before: "—" },
  { label: "lost of those accepted (2,000 at c32)", target: "0", section: "inbox", name: "lost (accepted, not stored)", snac2: "1–4 of every 2,000", before: "—" },
  { label: "lost of those accepted, kill -9 mid-burst", target: "0", section: "crash", name: "lost (answered 202, not stored)", snac2: "—", before: "—" },
  { label: "stored twice after the kill", target: "0", section: "crash", name: "stored more than once", snac2: "—", before: "—" },
  { label: "junk refused/s, all kinds, real DMs flowing", target: "≥ 10,000 /s", section: "junk", name: "all three kinds at once, refused per second, while real DMs flow", snac2: "—", before: "—" },
  { label: "unsigned POSTs refused/s", target: "≥ 10,000 /s", section: "junk", name: "unsigned POSTs: refused per second", snac2: "—", before: "—" },
  { label: "  server CPU per refusal", target: "≤ 0.1 ms", section: "junk", name: "unsigned POSTs: server CPU per refusal", snac2: "—", before: "—" },
  { label: "bad signatures refused/s", target: "≥ 10,000 /s", section: "junk", name: "bad signatures for a known key: refused per second", snac2: "—", before: "—" },
  { label: "  server CPU per refusal", target: "≤ 0.1 ms", section: "junk", name: "bad signatures for a known key: server CPU per refusal", snac2: "—", before: "—" },
  { label: "oversize bodies refused/s (a connection each)", target: "≥ 10,000 /s", section: "junk", name: /^oversize bodies .*: refused per second$/, snac2: "—", before: "—" },
  { label: "  server CPU per refusal", target: "≤ 0.1 ms", section: "junk", name: /^oversize bodies .*: server CPU per refusal$/, snac2: "—", before: "—" },
  { label: "  a bare node:http server under the same flood: refused/s", target: "—", section: "junk", name: /bare node:http server .*: refused per second$/, snac2: "—", before: "—" },
  { label: "  its CPU per refusal (the floor)", target: "—", section: "junk", name: /bare node:http server .*: its CPU per refusal$/, snac2: "—", before: "—" },
  { label: "  a bare node:net server (no HTTP parser): refused/s", target: "—", section: "junk", name: /bare node:net server .*: refused per second$/, snac2: "—", before: "—" },
  { label: "  its CPU per refusal (what the connection costs)", target: "—", section: "junk", name: /bare node:net server .*: its CPU per refusal$/, snac2: "—", before: "—" },
  { label: "real DMs' p99 under the junk flood", target: "< 50 ms", section: "junk", name: "  real DMs latency p99", snac2: "—", before: "—" },
  { label: "idle RSS of the whole tree after start", target: "< 120 MB", section: "footprint", name: "idle RSS of the whole process tree after start (median)", snac2: "—", before: "~290 MB (2 processes)" },
  { label: "RSS of the tree once a page has been served", target: "—", section: "footprint", name: "RSS of the tree once a page has been served (median)", snac2: "—", before: "—" },
  { label: "RSS of the tree during the inbox benchmark", target: "< 200 MB", section: "inbox", name: "RSS of the tree under inbox load (peak)", snac2: "17 MB", before: "~540 MB" },
  { label: "`moiety serve` → healthy", target: "< 1,500 ms", section: "footprint", name: "`moiety serve` → healthy (median)", snac2: "—", before: "1.6–2.3 s (issue 7)" },
];

function summaryTable(results) {
  const rows = ["| figure | target | Moiety now | | snac2 | Moiety before |", "|---|---|---:|---|---:|---:|"];
  for (const s of SUMMARY) {
    const f = results[s.section]?.find((x) => (typeof s.name === "string" ? x.name === s.name : s.name.test(x.name)));
    const value = f ? `${typeof f.value === "number" ? f.value.toLocaleString("en-US") : f.value} ${f.unit}` : "not run";
    const target = s.target;
    const mark = f?.ok === undefined ? "" : f.ok ? "✅" : "❌";
    rows.push(`| ${s.label} | ${target} | ${value} | ${mark} | ${s.snac2} | ${s.before} |`);
  }
  return rows.join("\n");
}

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
/** section key → its figures, for the summary. */
const results = {};
const started = Date.now();
const m = machine();
console.log(`# Moiety benchmarks — ${new Date().toISOString()}\n\n${m.cpu}, ${m.memory}, Node ${m.node}, ${m.os}, commit ${m.commit}, ${m.build}, load average ${m.load}\n`);

async function section(key, title, fn) {
  if (!only.has(key)) return;
  const t0 = Date.now();
  const loadBefore = os.loadavg()[0];
  let figures;
  try {
    figures = await fn();
  } catch (e) {
    // One broken benchmark must not cost the others' figures.
    console.error(`[run] ${key} failed: ${e.stack ?? e}`);
    figures = [{ bench: key, name: "failed", value: String(e.message ?? e).split("\n")[0].slice(0, 300), unit: "" }];
  }
  results[key] = figures;
  const note = `${round((Date.now() - t0) / 1000, 0)} s; 1-minute load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after`;
  for (const f of figures) printFigure(f);
  const table = markdownTable(figures);
  console.log(`\n## ${title}\n\n${table}\n\n(${note})\n`);
  sections.push({ title, table, note, extra: figures.extra });
}

const inboxOpts = { c: o.c, actors: o.actors };
await section("footprint", "Footprint: start-up and idle memory", () => runFootprint());
await section("inbox", `Inbox: ${o.n.toLocaleString("en-US")} signed DMs at c${o.c}`, () => runInbox({ ...inboxOpts, n: o.n }));
await section("warm", `Inbox, warm: ${o.n.toLocaleString("en-US")} signed DMs at c${o.c}, after ${o.n.toLocaleString("en-US")} others since the start`, () => runInbox({ ...inboxOpts, n: o.n, warm: o.n }));
await section("sustained", `Inbox sustained: ${o.sustainedN.toLocaleString("en-US")} signed DMs at c${o.c}`, () => runInbox({ ...inboxOpts, n: o.sustainedN }));
await section("junk", "Junk at the inbox, alone and while real DMs flow", () => runJunk({ seconds: o.junkSeconds }));
await section("crash", `kill -9 in the middle of a ${o.crashN.toLocaleString("en-US")}-DM burst`, () => runCrash({ n: o.crashN, c: o.c, actors: o.actors }));
await section("fanout", "Fan-out: one DM to 100 recipients", () => runFanout());
await section("ui", "UI at scale", () => runUi({ messages: o.messages, conversations: o.conversations }));

if (!o.keep) removeTempDirs(); // data dirs, the seeded one included (about 2 GB at a million messages)
const total = round((Date.now() - started) / 1000, 0);
console.log(`\nAll done in ${total} s.`);

if (o.docs && !o.noDocs && sections.length > 0) {
  const generated = [
    START,
    "### Issue 15's targets",
    "",
    "snac2's figures and Moiety's before this issue: measured with the same generator on this machine, issue 15 (Moiety's start-up time: the issue-7 report). \"not run\": a section left out with `--only`.",
    "",
    summaryTable(results),
    "",
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
