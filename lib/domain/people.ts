import { db } from "../db";

// The people of the owner's pages (conversation list, thread, People), read
// from cached RemoteActor rows with plain SQL: every query Prisma builds costs
// about half a millisecond before SQLite starts, and a page makes a dozen.

export type Person = {
  id: string;
  name: string;
  handle: string;
  server: string;
  iconUrl: string | null;
  gone: boolean;
};

export function toPerson(actorId: string, a?: { name: string | null; handle: string | null; host: string; iconUrl: string | null; gone: boolean }): Person {
  const url = new URL(actorId);
  const handle = a?.handle ?? `${url.host}${url.pathname}`;
  return {
    id: actorId,
    name: a?.name || handle.replace(/^@/, "").split("@")[0],
    handle,
    server: a?.host ?? url.host,
    iconUrl: a?.iconUrl ?? null,
    gone: a?.gone ?? false,
  };
}

type ActorRow = { id: string; name: string | null; handle: string | null; host: string; iconUrl: string | null; gone: bigint | number | boolean };

export async function people(ids: string[]): Promise<Map<string, Person>> {
  const unique = [...new Set(ids)];
  const rows = unique.length
    ? await db().$queryRawUnsafe<ActorRow[]>(
        `SELECT "id", "name", "handle", "host", "iconUrl", "gone" FROM "RemoteActor" WHERE "id" IN (${marks(unique.length)})`,
        ...unique,
      )
    : [];
  const byId = new Map(rows.map((r) => [r.id, { ...r, gone: Boolean(Number(r.gone)) }]));
  return new Map(ids.map((id) => [id, toPerson(id, byId.get(id))]));
}

/** "?, ?, …" for an IN list of n values. */
export function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** A DATETIME column as plain SQL returns it (text, or a number), as a Date. */
export function toDate(v: Date | string | number): Date {
  return v instanceof Date ? v : new Date(v);
}
