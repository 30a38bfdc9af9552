import { createHash } from "node:crypto";
import { db } from "../db";
import { ApiError } from "./http";

// The Idempotency-Key header of POST /api/v1/statuses (Phanpy, Tusky and the
// Android app send one, and retry with it after a timeout): the same key
// within an hour gives the status the first request made, and nothing is
// sent twice. Kept in the KvEntry table under keys Fedify never uses; only a
// hash of the key is stored. While the first request is still sending, the
// row holds null and expires soon, so a crash mid-send does not lock a key for
// the hour.

const DONE_FOR_MS = 60 * 60_000;
const PENDING_FOR_MS = 2 * 60_000;
const WAIT_FOR_FIRST_MS = 10_000;

function rowKey(key: string): string {
  return JSON.stringify(["moiety", "api-idempotency", "status", createHash("sha256").update(key).digest("hex")]);
}

export type Claim = { kind: "new"; finish: (messageId: string) => Promise<void>; release: () => Promise<void> } | { kind: "done"; messageId: string };

/** Take `key` for a new status, or learn which message an earlier request with it sent. */
export async function claimIdempotencyKey(key: string): Promise<Claim> {
  const id = rowKey(key);
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const now = new Date();
    // An expired row counts as none: the upsert takes it over only then.
    const taken = await db().$executeRawUnsafe(
      `INSERT INTO "KvEntry" ("key", "value", "expiresAt") VALUES (?, 'null', ?)
       ON CONFLICT ("key") DO UPDATE SET "value" = 'null', "expiresAt" = excluded."expiresAt" WHERE "KvEntry"."expiresAt" <= ?`,
      id,
      new Date(now.getTime() + PENDING_FOR_MS),
      now,
    );
    if (taken === 1) {
      return {
        kind: "new",
        finish: async (messageId) => {
          await db().$executeRawUnsafe(`UPDATE "KvEntry" SET "value" = ?, "expiresAt" = ? WHERE "key" = ?`, JSON.stringify(messageId), new Date(Date.now() + DONE_FOR_MS), id);
        },
        release: async () => {
          await db().$executeRawUnsafe(`DELETE FROM "KvEntry" WHERE "key" = ? AND "value" = 'null'`, id);
        },
      };
    }
    const rows = await db().$queryRawUnsafe<{ value: string }[]>(`SELECT "value" FROM "KvEntry" WHERE "key" = ?`, id);
    const value = rows[0] ? (JSON.parse(rows[0].value) as unknown) : null;
    if (typeof value === "string") return { kind: "done", messageId: value };
    if (Date.now() > deadline) throw new ApiError(422, "A request with this Idempotency-Key is still being sent; try again in a moment.");
    await new Promise((r) => setTimeout(r, 200));
  }
}
