import { ApiError } from "./http";

// Mastodon API ids are decimal strings that apps order by length, then
// lexically (Tusky, the Android app), and Ice Cubes' Link parser only
// matches digits. Rows carry them in an `apiId` column (BIGINT, set by a
// trigger: prisma/migrations/20261202160000_api_ids/migration.sql).

/** The API id of a row: a decimal string. A row a trigger has not numbered yet cannot be shown. */
export function apiIdString(value: bigint | number | string | null | undefined): string {
  if (value === null || value === undefined) throw new Error("A row without an API id");
  return typeof value === "bigint" ? value.toString() : String(value);
}

const DECIMAL = /^[0-9]{1,19}$/;

/** An id from a path or a parameter, or null when it cannot be one of ours (such ids find nothing). */
export function parseApiId(value: unknown): bigint | null {
  if (typeof value !== "string" || !DECIMAL.test(value)) return null;
  const n = BigInt(value);
  return n < 2n ** 63n ? n : null;
}

/** An id that must name a record: anything else is Mastodon's 404. */
export function requireApiId(value: unknown): bigint {
  const id = parseApiId(value);
  if (id === null) throw new ApiError(404, "Record not found");
  return id;
}
