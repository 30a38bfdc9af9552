import fs from "node:fs";
import { db } from "../db";
import { databasePath } from "../env";

export type Health =
  | { status: "ok"; database: "ok"; setup: "complete" | "pending" }
  | { status: "error"; database: "unavailable" };

/**
 * A real read of the database, plus a look at the file itself: an open
 * connection keeps working on a file that was deleted or whose volume went
 * away, and everything written from then on would be lost at the next start.
 */
export async function checkHealth(): Promise<Health> {
  try {
    if (!fs.statSync(databasePath()).isFile()) throw new Error(`${databasePath()} is not a file`);
    const rows = await db().$queryRawUnsafe<{ owners: bigint | number }[]>("SELECT count(*) AS owners FROM Owner");
    return { status: "ok", database: "ok", setup: Number(rows[0]?.owners ?? 0) > 0 ? "complete" : "pending" };
  } catch (err) {
    console.error("health check: database unavailable:", err instanceof Error ? err.message : err);
    return { status: "error", database: "unavailable" };
  }
}
