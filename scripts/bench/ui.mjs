#!/usr/bin/env node
// UI at scale: seed C conversations / M messages (seed.mjs), start Moiety on
// that data dir, log in, and time what the server takes for the pages the
// owner opens most: the conversation list, the biggest thread, a search for a
// common and a rare word. Then Chromium's Largest Contentful Paint for a
// first load of /messages (fresh profile, no cache), and the server CPU one
// open page costs while idle (its live-update stream).
//
//   node scripts/bench/ui.mjs [--messages 1000000] [--conversations 10000] [--reps 15] [--reuse DATA_DIR]

import fs from "node:fs";
import path from "node:path";
import { Client } from "./lib/client.mjs";
import { PASSWORD, serve, sleep } from "./lib/moiety.mjs";
import { treeCpuMs } from "./lib/proctree.mjs";
import { figure, summarize } from "./lib/report.mjs";
import { seed, SEED_DEFAULTS } from "./seed.mjs";
import { runAsScript } from "./lib/script.mjs";

export const UI_DEFAULTS = { ...SEED_DEFAULTS, reps: 15, reuse: "", lcpRuns: 3, chromium: process.env.MOIETY_CHROMIUM ?? "/usr/bin/chromium" };

async function timePage(client, pathname, reps, check) {
  const first = await client.get(pathname);
  if (first.status !== 200) throw new Error(`GET ${pathname}: ${first.status}\n${first.body.slice(0, 500)}`);
  check?.(first.body);
  for (let i = 0; i < 2; i++) await client.get(pathname); // warm
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await client.get(pathname));
  return { first, total: summarize(runs.map((r) => r.ms)), ttfb: summarize(runs.map((r) => r.ttfb)), bytes: runs[0].body.length };
}

async function lcp(server, client, chromiumPath, runs) {
  let chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch {
    return null;
  }
  if (!fs.existsSync(chromiumPath)) return null;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const results = [];
  try {
    const host = new URL(server.url).hostname;
    for (let i = 0; i < runs; i++) {
      // A fresh context each time: no HTTP cache, no service worker — a first load.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addCookies([...client.cookies].map(([name, value]) => ({ name, value, domain: host, path: "/", httpOnly: true, sameSite: "Lax" })));
      const page = await context.newPage();
      await page.goto(`${server.url}/messages`, { waitUntil: "load" });
      const m = await page.evaluate(
        () =>
          new Promise((resolve) => {
            let last = null;
            new PerformanceObserver((list) => {
              for (const e of list.getEntries()) last = e;
            }).observe({ type: "largest-contentful-paint", buffered: true });
            setTimeout(() => {
              const nav = performance.getEntriesByType("navigation")[0];
              resolve({
                lcp: last ? last.startTime : null,
                lcpElement: last?.element ? `${last.element.tagName.toLowerCase()}${last.element.id ? "#" + last.element.id : ""}` : null,
                ttfb: nav.responseStart,
                domContentLoaded: nav.domContentLoadedEventEnd,
                load: nav.loadEventEnd,
                transfer: nav.transferSize,
              });
            }, 1000);
          }),
      );
      results.push(m);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return results;
}

export async function runUi(options = {}) {
  const o = { ...UI_DEFAULTS, ...options };
  const log = (m) => console.error(`[ui] ${m}`);
  let info;
  if (o.reuse) {
    info = JSON.parse(fs.readFileSync(path.join(o.reuse, "bench-seed.json"), "utf8"));
    log(`reusing ${o.reuse}: ${info.conversations} conversations, ${info.messages} messages`);
  } else {
    log(`seeding ${o.conversations} conversations, ${o.messages} messages…`);
    info = await seed(o);
    log(`seeded in ${Math.round(info.seconds)} s (${info.dataDir})`);
  }
  const figures = [];
  const scale = `${info.conversations.toLocaleString("en-US")} conversations, ${info.messages.toLocaleString("en-US")} messages`;
  if (!o.reuse) figures.push(figure("ui", "seeding", info.seconds, "s", null, scale));
  const server = await serve(info);
  const client = new Client(server.url);
  try {
    await client.login(info.username, PASSWORD);
    const pages = [
      ["conversation list /messages", "/messages"],
      [`thread with ${info.bigThreadMessages} messages`, `/messages/${info.bigThread}`],
      [`search, common word (~${info.commonWordCount.toLocaleString("en-US")} hits)`, `/search?q=${info.commonWord}`],
      [`search, rare word (${info.rareCount} hits)`, `/search?q=${info.rareWord}`],
    ];
    for (const [name, pathname] of pages) {
      const r = await timePage(client, pathname, o.reps);
      log(`${name}: median ${r.total.p50.toFixed(1)} ms (TTFB ${r.ttfb.p50.toFixed(1)} ms), first ${r.first.ms.toFixed(1)} ms, ${Math.round(r.bytes / 1024)} KiB`);
      figures.push(figure("ui", `${name}: server time, median`, r.total.p50, "ms", ["<", 50], `p95 ${r.total.p95.toFixed(1)} ms, first ${r.first.ms.toFixed(0)} ms, ${Math.round(r.bytes / 1024)} KiB HTML`));
    }

    // One open page, idle: its live-update stream polls a fingerprint of the database every second.
    const cpuMsOf = () => treeCpuMs(server.process.pid);
    const idle0 = cpuMsOf();
    await sleep(5000);
    const idleNone = cpuMsOf() - idle0;
    const ac = new AbortController();
    const sse = fetch(`${server.url}/api/events`, { headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ") }, signal: ac.signal })
      .then(async (res) => {
        for await (const _ of res.body) {
          // drain
        }
      })
      .catch(() => {});
    await sleep(1000);
    const c0 = cpuMsOf();
    await sleep(10_000);
    const withPage = cpuMsOf() - c0;
    ac.abort();
    await sse;
    figures.push(figure("ui", "server CPU with one idle open page", (withPage / 10_000) * 100, "%", null, `live-update stream; ${((idleNone / 5000) * 100).toFixed(1)} % with none`));

    const l = await lcp(server, client, o.chromium, o.lcpRuns);
    if (l) {
      const s = summarize(l.map((r) => r.lcp ?? Infinity));
      log(`LCP runs: ${JSON.stringify(l)}`);
      figures.push(
        figure("ui", "Chromium LCP, first load of /messages (median)", s.p50, "ms", ["<", 1000], `${l.length} fresh profiles, element ${l[0].lcpElement}`),
        figure("ui", "  TTFB / DOMContentLoaded / load (median)", summarize(l.map((r) => r.ttfb)).p50, "ms", null, `${summarize(l.map((r) => r.domContentLoaded)).p50.toFixed(0)} / ${summarize(l.map((r) => r.load)).p50.toFixed(0)} ms`),
      );
    } else {
      log("no Chromium (or playwright-core): LCP skipped");
    }
  } finally {
    client.close();
    await server.stop();
  }
  figures.info = info;
  return figures;
}

await runAsScript(import.meta.url, runUi, UI_DEFAULTS);
