import webpush from "web-push";
import { db } from "../../db";
import { env } from "../../env";
import { pushJob, type PushTarget } from "../../domain/push-notify";
import type { PushPayload } from "../../domain/push-payload";
import { vapidKeys } from "../../domain/vapid";
import { onInboxStored } from "../inbound/signal";
import { wakeUp } from "../wake-bus";
import { runLanes } from "./worker-lanes";
import { classifyPushError, classifyPushResponse, pushRetryAt, type PushOutcome } from "./push-response";
import { safeFetch } from "../safe-fetch";

// Sending Web Push (RFC 8030) to the owner's browsers and Mastodon apps. The
// queue is the PushDelivery table: a trigger adds one row per subscription in
// the transaction that inserts a Notification (lib/domain/conversations.ts,
// lib/domain/contacts.ts), so the inbox only pays for an INSERT and never
// waits for a push service. A worker in the server process claims due rows
// with a lease (one UPDATE … RETURNING, as lib/federation/outbound/delivery.ts does),
// asks lib/domain/push-notify.ts whether and what to send, encrypts with the
// web-push library (RFC 8291; the legacy "aesgcm" draft unless the
// subscription said `standard`, as Mastodon does) and signs with the
// instance's VAPID key (RFC 8292), then POSTs through safeFetch: push
// services are the only third parties Moiety contacts for this, and the
// private-address guard applies to them like to any inbox.

const WAKE_CHANNEL = "moiety:push";
const POLL_INTERVAL_MS = 1000;
const LEASE_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** RFC 8030 §5.2: how long the push service keeps an undelivered push (Mastodon: 48 h). */
export const PUSH_TTL_SECONDS = 48 * 60 * 60;
/** A push still failing this long after it was queued is given up (it would have expired anyway). */
const GIVE_UP_AFTER_MS = PUSH_TTL_SECONDS * 1000;

/** Wake this process's push worker (after a notification was stored here); others poll. */
export function wakePushWorker(): void {
  wakeUp(WAKE_CHANNEL);
}

type Claimed = { id: number; attempts: number; createdAt: Date };

/** Send queued pushes until `signal` aborts; resolves once the POSTs in flight are done. */
export async function startPushWorker(opts: { signal: AbortSignal; concurrency?: number }): Promise<void> {
  // Messages the fast inbox's worker stored in this process queued their pushes with them.
  const off = onInboxStored(wakePushWorker);
  opts.signal.addEventListener("abort", off, { once: true });
  await runLanes({ name: "push", channel: WAKE_CHANNEL, concurrency: opts.concurrency ?? 2, pollIntervalMs: POLL_INTERVAL_MS, signal: opts.signal, claim: claimNext, handle });
}

async function claimNext(): Promise<Claimed | null> {
  const now = new Date();
  const rows = await db().$queryRawUnsafe<{ id: bigint | number; attempts: bigint | number; createdAt: Date | string | number }[]>(
    `UPDATE "PushDelivery" SET "lockedUntil" = ?, "attempts" = "attempts" + 1
      WHERE "id" = (SELECT "id" FROM "PushDelivery"
                     WHERE "nextAttemptAt" <= ? AND ("lockedUntil" IS NULL OR "lockedUntil" <= ?)
                     ORDER BY "nextAttemptAt", "id" LIMIT 1)
        AND ("lockedUntil" IS NULL OR "lockedUntil" <= ?)
      RETURNING "id", "attempts", "createdAt"`,
    new Date(now.getTime() + LEASE_MS),
    now,
    now,
    now,
  );
  const r = rows[0];
  return r ? { id: Number(r.id), attempts: Number(r.attempts), createdAt: new Date(r.createdAt) } : null;
}

async function handle(row: Claimed): Promise<void> {
  const mine = { id: row.id, attempts: row.attempts }; // still our claim?
  const job = await pushJob(row.id);
  if (!job.send) {
    if (job.removeSubscription) await removeSubscriptionOf(row.id);
    await db().pushDelivery.deleteMany({ where: mine });
    return;
  }
  const { outcome, status } = await send(job.subscription, job.payload, job.topic, job.urgency);
  const now = new Date();
  switch (outcome.kind) {
    case "delivered":
      await db().pushDelivery.deleteMany({ where: mine });
      await db().pushSubscription.updateMany({ where: { id: job.subscription.id }, data: { lastSuccessAt: now } });
      return;
    case "gone":
      // Deleting the subscription takes its queued pushes with it (ON DELETE CASCADE).
      console.warn(`push: ${hostOf(job.subscription.endpoint)} says subscription ${job.subscription.id} is gone (${outcome.reason}); removed`);
      await db().pushSubscription.deleteMany({ where: { id: job.subscription.id } });
      return;
    case "drop":
      console.warn(`push ${row.id} to ${hostOf(job.subscription.endpoint)} dropped: ${outcome.reason}`);
      await db().pushDelivery.deleteMany({ where: mine });
      return;
    case "retry":
      if (now.getTime() - row.createdAt.getTime() >= GIVE_UP_AFTER_MS) {
        console.warn(`push ${row.id} to ${hostOf(job.subscription.endpoint)} given up after ${row.attempts} attempts: ${outcome.reason}`);
        await db().pushDelivery.deleteMany({ where: mine });
        return;
      }
      await db().pushDelivery.updateMany({
        where: mine,
        data: { lockedUntil: null, lastStatus: status, nextAttemptAt: pushRetryAt(outcome, row.attempts, now) },
      });
      return;
  }
}

async function removeSubscriptionOf(deliveryId: number): Promise<void> {
  const d = await db().pushDelivery.findUnique({ where: { id: deliveryId }, select: { subscriptionId: true } });
  if (d) await db().pushSubscription.deleteMany({ where: { id: d.subscriptionId } });
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return "(bad endpoint)";
  }
}

/**
 * The request a push is: encrypted payload and VAPID headers from web-push's
 * generateRequestDetails (we only do the POST, through safeFetch).
 */
export async function pushRequest(
  to: PushTarget,
  payload: PushPayload,
  topic: string | undefined,
  urgency: "high" | "normal",
): Promise<{ headers: Record<string, string>; body: Buffer }> {
  const vapid = await vapidKeys();
  const details = webpush.generateRequestDetails({ endpoint: to.endpoint, keys: { p256dh: to.p256dh, auth: to.auth } }, JSON.stringify(payload), {
    vapidDetails: { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
    TTL: PUSH_TTL_SECONDS,
    contentEncoding: to.standard ? "aes128gcm" : "aesgcm",
    urgency,
    ...(topic ? { topic } : {}),
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(details.headers)) {
    if (name.toLowerCase() !== "content-length") headers[name] = String(value);
  }
  headers["User-Agent"] = `Moiety (+${env().origin})`;
  return { headers, body: details.body };
}

async function send(to: PushTarget, payload: PushPayload, topic: string | undefined, urgency: "high" | "normal"): Promise<{ outcome: PushOutcome; status: number | null }> {
  let request: { headers: Record<string, string>; body: Buffer };
  try {
    request = await pushRequest(to, payload, topic, urgency);
  } catch (error) {
    // Keys the library cannot use (checked at subscribe time, so rare): this push never goes.
    return { outcome: { kind: "drop", reason: `cannot encrypt: ${error instanceof Error ? error.message : String(error)}` }, status: null };
  }
  try {
    const response = await safeFetch(to.endpoint, { method: "POST", headers: request.headers, body: new Uint8Array(request.body) }, { maxRedirects: 0, timeoutMs: REQUEST_TIMEOUT_MS });
    await response.body?.cancel().catch(() => undefined);
    return { outcome: classifyPushResponse(response.status, response.headers.get("retry-after"), new Date()), status: response.status };
  } catch (error) {
    return { outcome: classifyPushError(error), status: null };
  }
}
