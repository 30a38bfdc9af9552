#!/usr/bin/env node
// Summarise V8 .cpuprofile files (node --cpu-prof): self time by package /
// area, the hottest functions by self time, and inclusive ("total") time of
// the frames that tell where inbox work goes (JSON-LD, signatures, Prisma,
// SQLite, Next's request handling …).
//
//   node scripts/bench/cpuprofile.mjs FILE.cpuprofile [more…] [--top 25] [--match REGEX]

import fs from "node:fs";
import { parseArgs } from "./lib/report.mjs";

/** Which area a frame belongs to, from its script URL. */
export function areaOf(url, name) {
  if (!url) return name === "(garbage collector)" ? "(gc)" : name === "(program)" || name === "(idle)" ? name : "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    const pkg = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    if (pkg === "next") return url.includes("/compiled/") ? `next (${rest.slice(rest.indexOf("compiled") + 1)[0]})` : "next";
    return pkg;
  }
  if (url.startsWith("node:")) return "node core";
  if (url.includes("/.next/server/chunks/") || url.includes("/.next/server/")) return "app bundle (.next/server)";
  if (url.includes("/lib/")) return "lib/ (tsx)";
  return url.replace(/^file:\/\//, "").split("/").slice(-2).join("/");
}

export function summarizeProfile(profile, { top = 25, match } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = profile.timeDeltas;
  const selfByNode = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const d = Math.max(0, dt[i] ?? 0) / 1000; // µs → ms
    selfByNode.set(profile.samples[i], (selfByNode.get(profile.samples[i]) ?? 0) + d);
    total += d;
  }
  const key = (n) => `${n.callFrame.functionName || "(anonymous)"} ${areaOf(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`;
  const byArea = new Map();
  const byFn = new Map();
  const inclusive = new Map();
  let idle = 0;
  for (const [id, ms] of selfByNode) {
    const n = nodes.get(id);
    const name = n.callFrame.functionName;
    if (name === "(idle)") {
      idle += ms;
      continue;
    }
    const area = areaOf(n.callFrame.url, name);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    byFn.set(key(n), (byFn.get(key(n)) ?? 0) + ms);
    // Inclusive: every distinct function on this stack gets the sample once.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(nodes.get(cur));
      if (!seen.has(k)) {
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
      }
    }
  }
  const busy = total - idle;
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  const re = match ? new RegExp(match) : null;
  return {
    totalMs: total,
    busyMs: busy,
    areas: sorted(byArea).map(([k, v]) => ({ area: k, ms: v, pct: (100 * v) / busy })),
    selfTop: sorted(byFn).slice(0, top).map(([k, v]) => ({ fn: k, ms: v, pct: (100 * v) / busy })),
    inclusiveTop: sorted(inclusive)
      .filter(([k]) => (re ? re.test(k) : true))
      .slice(0, top)
      .map(([k, v]) => ({ fn: k, ms: v, pct: (100 * v) / busy })),
  };
}

export function profileMarkdown(s, title) {
  const f = (x) => x.toFixed(1);
  const lines = [`#### ${title}`, "", `busy ${f(s.busyMs / 1000)} s of ${f(s.totalMs / 1000)} s sampled`, ""];
  lines.push("| area (self time) | ms | % of busy |", "|---|---:|---:|");
  for (const a of s.areas.slice(0, 15)) lines.push(`| ${a.area} | ${f(a.ms)} | ${f(a.pct)} |`);
  lines.push("", "| function (inclusive) | ms | % of busy |", "|---|---:|---:|");
  for (const a of s.inclusiveTop) lines.push(`| \`${a.fn}\` | ${f(a.ms)} | ${f(a.pct)} |`);
  lines.push("", "| function (self) | ms | % of busy |", "|---|---:|---:|");
  for (const a of s.selfTop) lines.push(`| \`${a.fn}\` | ${f(a.ms)} | ${f(a.pct)} |`);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opts = parseArgs(args, { top: 25, match: "" });
  const files = args.filter((a, i) => a.endsWith(".cpuprofile") && !args[i - 1]?.startsWith("--"));
  for (const file of files) {
    const s = summarizeProfile(JSON.parse(fs.readFileSync(file, "utf8")), { top: opts.top, match: opts.match || undefined });
    console.log(profileMarkdown(s, file));
    console.log();
  }
}
