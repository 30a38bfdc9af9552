import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiToken } from "../helpers/api-token";
import { startInstance, type Instance } from "../helpers/instances";

// Every route of the Mastodon client API, found by reading app/api/v1 and
// app/api/v2, so an endpoint added later is covered without editing this
// file: none answers without a valid token (DMs never leave without one),
// and none that changes something accepts a read-only token.

const ROOT = path.join(__dirname, "../..");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Open to anyone, as in Mastodon: what an app reads before it has a token. */
const PUBLIC = new Set([
  "POST /api/v1/apps",
  "GET /api/v1/instance",
  "GET /api/v1/instance/peers",
  "GET /api/v1/instance/rules",
  "GET /api/v1/instance/translation_languages",
  "GET /api/v2/instance",
  "GET /api/v1/custom_emojis",
  "GET /api/v1/trends",
  "GET /api/v1/trends/statuses",
  "GET /api/v1/trends/links",
  "GET /api/v1/trends/tags",
  "GET /api/v1/streaming/health",
  // Always empty here (Moiety has no public posts); public in Mastodon.
  "GET /api/v1/timelines/public",
  "GET /api/v1/timelines/tag/1",
]);

type Route = { method: (typeof METHODS)[number]; path: string };

function routes(): Route[] {
  const found: Route[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === "route.ts") {
        const rel = path.relative(path.join(ROOT, "app"), path.dirname(full)).split(path.sep);
        if (rel.some((p) => p.startsWith("[..."))) continue; // the JSON 404 for unknown paths
        // An optional catch-all ([[...x]]) is tried bare; a parameter ([id]) as an id.
        const urlPath = "/" + rel.filter((p) => !p.startsWith("[[")).map((p) => (p.startsWith("[") ? "1" : p)).join("/");
        const source = fs.readFileSync(full, "utf8");
        for (const method of METHODS) {
          if (new RegExp(`export (const|async function|function) ${method}\\b|export \\{[^}]*\\b${method}\\b`).test(source)) found.push({ method, path: urlPath });
        }
      }
    }
  };
  walk(path.join(ROOT, "app/api/v1"));
  walk(path.join(ROOT, "app/api/v2"));
  return found;
}

let alice: Instance;
beforeAll(async () => {
  alice = await startInstance("alice");
});
afterAll(async () => {
  await alice?.stop();
});

describe("Mastodon API tokens on every route", () => {
  it("refuses every private route without a token or with a bad one, and every write with a read-only token", async () => {
    const all = routes();
    expect(all.length).toBeGreaterThanOrEqual(20);
    const readOnly = await apiToken(alice, "read");
    const failures: string[] = [];
    for (const r of all) {
      const key = `${r.method} ${r.path}`;
      const call = (token?: string) =>
        fetch(`${alice.url}${r.path}`, {
          method: r.method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(r.method === "GET" ? {} : { "content-type": "application/json" }) },
          body: r.method === "GET" ? undefined : "{}",
        });
      if (PUBLIC.has(key)) continue;
      for (const [label, token] of [["no token", undefined], ["a bad token", "not-a-token"]] as const) {
        const res = await call(token);
        const type = res.headers.get("content-type") ?? "";
        const body = await res.text();
        if (res.status !== 401 || !type.startsWith("application/json") || !JSON.parse(body).error) failures.push(`${key} with ${label}: ${res.status} ${type} ${body.slice(0, 80)}`);
      }
      if (r.method !== "GET") {
        const res = await call(readOnly);
        if (res.status !== 403) failures.push(`${key} with a read-only token: ${res.status} ${(await res.text()).slice(0, 80)}`);
      }
    }
    const checked = all.filter((r) => !PUBLIC.has(`${r.method} ${r.path}`));
    console.log(`token sweep: ${all.length} routes, ${checked.length} need a token, ${checked.filter((r) => r.method !== "GET").length} of them write`);
    expect(failures).toEqual([]);
  });
});
