import { db } from "../db";

export type Health =
  | { status: "ok"; database: "ok"; setup: "complete" | "pending" }
  | { status: "error"; database: "unavailable" };

/** A real read of the database; the container health check and `doctor` rely on it. */
export async function checkHealth(): Promise<Health> {
  try {
    const rows = await db().$queryRawUnsafe<{ ok: bigint | number }[]>("SELECT count(*) AS ok FROM Owner");
    return { status: "ok", database: "ok", setup: Number(rows[0]?.ok ?? 0) > 0 ? "complete" : "pending" };
  } catch (err) {
    console.error("health check: database unavailable:", err instanceof Error ? err.message : err);
    return { status: "error", database: "unavailable" };
  }
}
