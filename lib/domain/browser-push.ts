import { db } from "../db";
import { alertsOf, savePushSubscription, type PushSubscription } from "./push-subscriptions";

// The owner's own browsers as push subscribers (Settings → Notifications).
// A browser's subscription belongs to the session that made it: when that
// session ends (Log out, ended in Settings, a password change, or unused for
// 30 days) the browser is no longer told anything, whatever it shows on a lock screen.

/**
 * What a browser can ask to be told about, stored as Mastodon-style alerts:
 * "mention" a new DM in a conversation the owner has, "request" a DM from
 * someone new (a message request), "follow" a new follower — also stored as
 * "follow_request", which Mastodon keeps apart, so a sender may check either.
 */
export type WebAlertChoices = { mention: boolean; request: boolean; follow: boolean };

export const DEFAULT_WEB_ALERTS: WebAlertChoices = { mention: true, request: true, follow: true };

export function alertsFromChoices(c: WebAlertChoices): Record<string, boolean> {
  return { mention: c.mention, request: c.request, follow: c.follow, follow_request: c.follow };
}

export function choicesOf(s: Pick<PushSubscription, "alerts">): WebAlertChoices {
  const a = alertsOf(s);
  return { mention: a.mention === true, request: a.request === true, follow: a.follow === true };
}

export async function saveBrowserSubscription(
  p: { endpoint: string; p256dh: string; auth: string; choices: WebAlertChoices; sessionId: string; deviceName: string },
  opts: { allowHttp: boolean },
): Promise<PushSubscription> {
  // Browsers all decrypt RFC 8291's aes128gcm, so theirs is the standard encoding.
  return savePushSubscription(
    { endpoint: p.endpoint, p256dh: p.p256dh, auth: p.auth, standard: true, alerts: alertsFromChoices(p.choices), sessionId: p.sessionId, deviceName: p.deviceName },
    opts,
  );
}

/** Change what one browser is told about; false when there is no such browser (an app's subscription is not one). */
export async function setBrowserAlerts(id: number, choices: WebAlertChoices): Promise<boolean> {
  const r = await db().pushSubscription.updateMany({ where: { id, tokenId: null }, data: { alerts: JSON.stringify(alertsFromChoices(choices)) } });
  return r.count > 0;
}

/** Stop telling one browser anything; false when it was not subscribed. */
export async function removeBrowserSubscription(id: number): Promise<boolean> {
  return (await db().pushSubscription.deleteMany({ where: { id, tokenId: null } })).count > 0;
}

/** Forget the browsers whose session has ended; how many. */
export async function dropSubscriptionsOfEndedSessions(): Promise<number> {
  return db().$executeRawUnsafe(
    `DELETE FROM "PushSubscription" WHERE "tokenId" IS NULL AND "sessionId" IS NOT NULL AND "sessionId" NOT IN (SELECT "id" FROM "Session")`,
  );
}
