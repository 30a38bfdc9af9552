import { randomBytes } from "node:crypto";
import { db } from "../db";
import { dropSubscriptionsOfEndedSessions } from "./browser-push";
import { describeDevice } from "./device";

// The owner's logged-in browsers. The session cookie (a next-auth JWT) carries a row's id;
// a request is let in only while that row exists, so ending a session here ends it for good,
// even for a copy of the cookie.

/** As long as next-auth keeps a JWT session alive (lib/auth.ts). */
export const SESSION_MAX_AGE_S = 30 * 24 * 60 * 60;
/** lastUsedAt is written at most this often: a request costs one indexed read, rarely a write. */
const TOUCH_EVERY_MS = 5 * 60 * 1000;

export type SessionInfo = { id: string; device: string; address: string; createdAt: Date; lastUsedAt: Date; current: boolean };

export async function createSession(p: { userAgent: string; address: string }): Promise<string> {
  const id = randomBytes(32).toString("base64url");
  const cutoff = new Date(Date.now() - SESSION_MAX_AGE_S * 1000);
  await db().$transaction([
    // Sessions nobody used for as long as a cookie lives are gone for good anyway.
    db().session.deleteMany({ where: { lastUsedAt: { lt: cutoff } } }),
    db().session.create({ data: { id, userAgent: p.userAgent.slice(0, 300), address: p.address.slice(0, 100) } }),
  ]);
  await dropSubscriptionsOfEndedSessions();
  return id;
}

/** Is this session still open? Records its use now and then. */
export async function sessionIsOpen(id: string | undefined): Promise<boolean> {
  if (!id) return false;
  const row = await db().session.findUnique({ where: { id }, select: { lastUsedAt: true } });
  if (!row) return false;
  if (Date.now() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    // Losing this write (the row was just ended) is harmless.
    await db().session.updateMany({ where: { id }, data: { lastUsedAt: new Date() } });
  }
  return true;
}

export async function listSessions(currentId: string | undefined): Promise<SessionInfo[]> {
  const rows = await db().session.findMany({ orderBy: { lastUsedAt: "desc" } });
  return rows.map((r) => ({
    id: r.id,
    device: describeDevice(r.userAgent),
    address: r.address,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    current: r.id === currentId,
  }));
}

/** End one session; true when it was open. */
export async function endSession(id: string): Promise<boolean> {
  const ended = (await db().session.deleteMany({ where: { id } })).count > 0;
  await dropSubscriptionsOfEndedSessions(); // its browser is told nothing more (lib/domain/browser-push.ts)
  return ended;
}

/** End every session but this one; how many ended. */
export async function endOtherSessions(keepId: string): Promise<number> {
  const ended = (await db().session.deleteMany({ where: { id: { not: keepId } } })).count;
  await dropSubscriptionsOfEndedSessions();
  return ended;
}

export async function endAllSessions(): Promise<number> {
  const ended = (await db().session.deleteMany({})).count;
  await dropSubscriptionsOfEndedSessions();
  return ended;
}
