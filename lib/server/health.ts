import fs from "node:fs";
import type http from "node:http";
import { databasePath } from "../env";
import { inboundDb } from "../federation/inbound/sqlite";

// GET /api/health, answered by the front from its own SQLite connection: a
// health check (Docker's, a supervisor's, a benchmark's) neither waits for nor
// loads the web app (lib/server/next-app.ts).

export type Health = { status: "ok"; database: "ok"; setup: "complete" | "pending" } | { status: "error"; database: "unavailable" };

/**
 * A real read of the database, plus a look at the file itself: an open
 * connection keeps working on a file that was deleted or whose volume went
 * away, and everything written from then on would be lost at the next start.
 */
export function checkHealth(): Health {
  try {
    if (!fs.statSync(databasePath()).isFile()) throw new Error(`${databasePath()} is not a file`);
    const owners = inboundDb().prepare('SELECT count(*) FROM "Owner"').pluck().get() as number;
    return { status: "ok", database: "ok", setup: owners > 0 ? "complete" : "pending" };
  } catch (err) {
    console.error("health check: database unavailable:", err instanceof Error ? err.message : err);
    return { status: "error", database: "unavailable" };
  }
}

/** Answer GET or HEAD /api/health; false for any other request. */
export function answerHealth(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if ((req.url ?? "").split("?")[0] !== "/api/health" || (req.method !== "GET" && req.method !== "HEAD")) return false;
  req.resume();
  const health = checkHealth();
  const body = JSON.stringify(health);
  res.writeHead(health.status === "ok" ? 200 : 503, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}
