import { EventEmitter } from "node:events";
import { importJwk, signRequest } from "@fedify/fedify";
import { db, writeTransaction } from "../../db";
import { env } from "../../env";
import type { Prisma } from "../../generated/prisma/client";
import { classifyDeliveryError, classifyDeliveryResponse, nextAttemptDelayMs, shouldGiveUp, type DeliveryOutcome } from "./delivery-policy";
import { wakeUp } from "../wake-bus";
import { runLanes } from "./worker-lanes";
import { safeFetch } from "../safe-fetch";

// Outgoing deliveries: one Delivery row per activity per inbox, POSTed with a
// draft-cavage HTTP signature by a worker in the server process. Not Fedify's
// outbox queue, because the UI shows the state of each recipient's copy, and
// because Fedify 1.5 neither honours Retry-After nor stops on permanent errors.
//
// A worker claims a due row by setting a lease (lockedUntil) with a
// compare-and-set UPDATE, so two workers never POST the same row at once, and
// a row whose worker died mid-POST is taken up again once the lease runs out.
// The attempt counter doubles as the claim's version: every write after the
// POST is conditional on it, so a worker that lost its lease cannot overwrite
// what the new holder recorded. At-least-once: after a crash between the
// server's 202 and our write the activity is sent again; receivers drop
// duplicates by activity id.

export type DeliveryState = "queued" | "delivered" | "failed";

export type NewDelivery = {
  activityId: string;
  /** The JSON-LD activity, exactly as it will be signed and sent. */
  body: string;
  inbox: string;
  recipient?: string | null;
  messageId?: string | null;
  /**
   * Rows with the same key and inbox go out one at a time, oldest first: the
   * next waits while an earlier one is queued (retrying included). A
   * conversation's MLS envelopes use it, so a Welcome arrives before the
   * messages it opens. Rows of one call are queued in the call's order.
   */
  orderKey?: string | null;
};

export type DeliveryUpdate = { id: number; messageId: string | null; state: DeliveryState };

const WAKE_CHANNEL = "moiety:deliveries";
const POLL_INTERVAL_MS = 500;
/**
 * Longer than one POST can take (the 10 s timeout) plus signing and
 * bookkeeping, with room to spare; and short, because it is also how long the
 * rows a killed server was sending wait before the next start retries them.
 */
const LEASE_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** How much of a failed answer's body is kept in lastError. */
const ERROR_BODY_CHARS = 200;

// Next loads modules up to three times per process: the event bus and the key
// cache live on globalThis so there is one of each.
type Shared = { events?: EventEmitter; signer?: { promise: Promise<Signer>; loadedAt: number } };
const shared = ((globalThis as unknown as { moietyDelivery?: Shared }).moietyDelivery ??= {});

/** Emits "updated" with a DeliveryUpdate whenever a delivery row is added or changes state. */
export const deliveryEvents: EventEmitter = (shared.events ??= new EventEmitter().setMaxListeners(0));

function emitUpdate(update: DeliveryUpdate): void {
  try {
    deliveryEvents.emit("updated", update);
  } catch (error) {
    // A broken listener (a closed UI stream) must not stop the worker.
    console.error("delivery: an 'updated' listener failed:", error);
  }
}

// ─── enqueueing ──────────────────────────────────────────────────────────────

/**
 * Queue activities for delivery. An (activityId, inbox) pair already queued
 * (or delivered, or failed) is left alone, so a retried send cannot double a
 * delivery. Wakes the worker of this process.
 */
export async function enqueueDeliveries(items: NewDelivery[]): Promise<void> {
  const unique = new Map<string, NewDelivery>();
  for (const item of items) unique.set(JSON.stringify([item.activityId, item.inbox]), item);
  if (unique.size === 0) return;
  const now = new Date();
  const toRow = (i: NewDelivery) => ({
    activityId: i.activityId,
    body: i.body,
    inbox: i.inbox,
    recipient: i.recipient ?? null,
    messageId: i.messageId ?? null,
    orderKey: i.orderKey ?? null,
    state: "queued",
    nextAttemptAt: now,
    createdAt: now,
  });
  let created: { id: number; messageId: string | null }[];
  try {
    // One transaction, so a fan-out is queued whole or not at all.
    created = await writeTransaction(async (tx) => {
      // Prisma has no createMany skipDuplicates on SQLite: leave out the
      // pairs that exist, inside the transaction so no one adds them in between.
      const all = [...unique.values()];
      const existing = await tx.delivery.findMany({
        where: { activityId: { in: [...new Set(all.map((i) => i.activityId))] }, inbox: { in: [...new Set(all.map((i) => i.inbox))] } },
        select: { activityId: true, inbox: true },
      });
      const fresh = all.filter((i) => !existing.some((e) => e.activityId === i.activityId && e.inbox === i.inbox));
      if (fresh.length === 0) return [];
      return tx.delivery.createManyAndReturn({ data: fresh.map(toRow), select: { id: true, messageId: true } });
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== "P2002") throw error;
    // Another process queued one of the pairs at the same moment: add the rest one by one.
    created = [];
    for (const item of unique.values()) {
      try {
        created.push(await db().delivery.create({ data: toRow(item), select: { id: true, messageId: true } }));
      } catch (e) {
        if ((e as { code?: unknown }).code !== "P2002") throw e;
      }
    }
  }
  wakeUp(WAKE_CHANNEL);
  for (const row of created) emitUpdate({ id: row.id, messageId: row.messageId, state: "queued" });
}

/**
 * Queue one activity to each recipient's inbox (`id` null for a shared inbox,
 * which speaks for several), tied to `messageId` when it carries a DM.
 */
export async function deliverActivity(activity: { id: string }, recipients: { id: string | null; inbox: string }[], messageId?: string): Promise<void> {
  await enqueueDeliveries(deliveriesOf(activity, recipients, messageId));
}

/** The rows deliverActivity queues, for a caller that queues several activities in one call (in order). */
export function deliveriesOf(activity: { id: string }, recipients: { id: string | null; inbox: string }[], messageId?: string | null, orderKey?: string): NewDelivery[] {
  const body = JSON.stringify(activity);
  return recipients.map((r) => ({ activityId: activity.id, body, inbox: r.inbox, recipient: r.id, messageId, orderKey }));
}

/**
 * Send a failed delivery again, now, with a fresh two-day retry window (the
 * window counts from createdAt, which is reset). Returns false when the row
 * does not exist or has not failed.
 */
export async function retryDelivery(id: number): Promise<boolean> {
  const now = new Date();
  const { count } = await db().delivery.updateMany({
    where: { id, state: "failed" },
    data: { state: "queued", attempts: 0, nextAttemptAt: now, lockedUntil: null, createdAt: now },
  });
  if (count === 0) return false;
  const row = await db().delivery.findUnique({ where: { id }, select: { messageId: true } });
  wakeUp(WAKE_CHANNEL);
  emitUpdate({ id, messageId: row?.messageId ?? null, state: "queued" });
  return true;
}

// ─── signing key ─────────────────────────────────────────────────────────────

type Signer = { keyId: URL; privateKey: Awaited<ReturnType<typeof importJwk>> };

/** Reload the owner's key at least this often, in case another process changed it. */
const SIGNER_MAX_AGE_MS = 5 * 60_000;

async function loadSigner(): Promise<Signer> {
  const owner = await db().owner.findUnique({ where: { id: 1 }, select: { username: true } });
  if (!owner) throw new Error("cannot sign: this instance has no owner yet");
  const key = await db().keyPair.findUnique({
    where: { actor_algorithm: { actor: "owner", algorithm: "RSASSA-PKCS1-v1_5" } },
    select: { privateJwk: true },
  });
  if (!key) throw new Error("cannot sign: the owner has no RSA key");
  return {
    keyId: new URL(`${env().origin}/users/${owner.username}#main-key`),
    privateKey: await importJwk(JSON.parse(key.privateJwk), "private"),
  };
}

function signer(): Promise<Signer> {
  const cached = shared.signer;
  if (cached && Date.now() - cached.loadedAt < SIGNER_MAX_AGE_MS) return cached.promise;
  const promise = loadSigner();
  shared.signer = { promise, loadedAt: Date.now() };
  // Do not keep a failure (no owner yet): the next delivery asks again.
  promise.catch(() => {
    if (shared.signer?.promise === promise) shared.signer = undefined;
  });
  return promise;
}

/** Forget the cached owner key and key id (after a key rotation or username change). */
export function invalidateSigningKeyCache(): void {
  shared.signer = undefined;
}

// ─── the worker ──────────────────────────────────────────────────────────────

export type DeliveryWorkerOptions = {
  signal: AbortSignal;
  /** POSTs in flight at once (default 4). */
  concurrency?: number;
};

type Claimed = { id: number; attempts: number; inbox: string; body: string; messageId: string | null; createdAt: Date };

/**
 * Deliver queued rows until `signal` aborts. Resolves after the POSTs in
 * flight have finished (each is bounded by the 10 s request timeout).
 */
export async function startDeliveryWorker(opts: DeliveryWorkerOptions): Promise<void> {
  await runLanes({ name: "delivery", channel: WAKE_CHANNEL, concurrency: opts.concurrency ?? 4, pollIntervalMs: POLL_INTERVAL_MS, signal: opts.signal, claim: claimNext, handle: deliver });
}

/**
 * Claim the next due delivery: one UPDATE … RETURNING, atomic in SQLite, so
 * of two workers (in this process or another) exactly one gets a row. It sets
 * the lease and counts the attempt. Plain SQL: Prisma's query building cost
 * more than SQLite's work for the three statements this used to be.
 */
async function claimNext(): Promise<Claimed | null> {
  const now = new Date();
  const rows = await db().$queryRawUnsafe<
    { id: bigint | number; attempts: bigint | number; inbox: string; body: string; messageId: string | null; createdAt: Date | string | number }[]
  >(
    `UPDATE "Delivery" SET "lockedUntil" = ?, "attempts" = "attempts" + 1
      WHERE "id" = (SELECT "id" FROM "Delivery" d
                     WHERE "state" = 'queued' AND "nextAttemptAt" <= ? AND ("lockedUntil" IS NULL OR "lockedUntil" <= ?)
                       AND ("orderKey" IS NULL OR NOT EXISTS (SELECT 1 FROM "Delivery" p
                             WHERE p."orderKey" = d."orderKey" AND p."inbox" = d."inbox" AND p."id" < d."id" AND p."state" = 'queued'))
                     ORDER BY "nextAttemptAt", "id" LIMIT 1)
        AND "state" = 'queued' AND ("lockedUntil" IS NULL OR "lockedUntil" <= ?)
      RETURNING "id", "attempts", "inbox", "body", "messageId", "createdAt"`,
    new Date(now.getTime() + LEASE_MS),
    now,
    now,
    now,
  );
  const row = rows[0];
  if (!row) return null;
  return { id: Number(row.id), attempts: Number(row.attempts), inbox: row.inbox, body: row.body, messageId: row.messageId, createdAt: new Date(row.createdAt) };
}

async function deliver(row: Claimed): Promise<void> {
  const { outcome, status, detail } = await post(row);
  const now = new Date();
  const mine = { id: row.id, attempts: row.attempts, state: "queued" }; // still our claim?
  const withDetail = (reason: string) => (detail ? `${reason} — ${detail}` : reason).slice(0, 1000);

  let state: DeliveryState;
  let data: Prisma.DeliveryUpdateManyMutationInput;
  if (outcome.kind === "delivered") {
    state = "delivered";
    data = { state, lockedUntil: null, lastStatus: status, lastError: null };
  } else if (outcome.kind === "permanent") {
    state = "failed";
    data = { state, lockedUntil: null, lastStatus: status, lastError: withDetail(outcome.reason) };
  } else if (shouldGiveUp(row.createdAt, now)) {
    state = "failed";
    const reason = `gave up after ${row.attempts} attempts over two days; last: ${outcome.reason}`;
    data = { state, lockedUntil: null, lastStatus: status, lastError: withDetail(reason) };
  } else {
    state = "queued";
    data = { state, lockedUntil: null, lastStatus: status, lastError: withDetail(outcome.reason), nextAttemptAt: retryAt(outcome, row.attempts, now) };
  }
  const { count } = await db().delivery.updateMany({ where: mine, data });
  if (count === 1) emitUpdate({ id: row.id, messageId: row.messageId, state });
}

/**
 * When to try again. A server's Retry-After replaces our backoff: it said
 * when it wants us back (capped at 6 h by the policy), and a server that keeps
 * saying "in 1 s" gets what it asked for. At least a second, though.
 */
function retryAt(outcome: Extract<DeliveryOutcome, { kind: "retry" }>, attempts: number, now: Date): Date {
  if (outcome.notBefore) return new Date(Math.max(outcome.notBefore.getTime(), now.getTime() + 1000));
  return new Date(now.getTime() + nextAttemptDelayMs(attempts));
}

type Attempt = { outcome: DeliveryOutcome; status: number | null; detail?: string };

async function post(row: Claimed): Promise<Attempt> {
  let key: Signer;
  try {
    key = await signer();
  } catch (error) {
    // Our problem, not the recipient's: keep retrying until there is a key.
    return { outcome: { kind: "retry", reason: error instanceof Error ? error.message : String(error) }, status: null };
  }
  try {
    const request = new Request(new URL(row.inbox), {
      method: "POST",
      headers: {
        "Content-Type": "application/activity+json",
        Accept: "application/activity+json",
        "User-Agent": `Moiety (+${env().origin})`,
      },
      body: row.body,
    });
    // Fedify adds Host, Date and Digest (SHA-256 of the body) and signs every
    // header present: (request-target) accept content-type date digest host user-agent.
    const signed = await signRequest(request, key.privateKey, key.keyId);
    const headers: Record<string, string> = {};
    signed.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = new Uint8Array(await signed.arrayBuffer());
    const response = await safeFetch(row.inbox, { method: "POST", headers, body }, { maxRedirects: 0, timeoutMs: REQUEST_TIMEOUT_MS });
    const outcome = classifyDeliveryResponse(response.status, response.headers.get("retry-after"), new Date());
    const detail = outcome.kind === "delivered" ? undefined : await bodySnippet(response);
    if (outcome.kind === "delivered") await response.body?.cancel();
    return { outcome, status: response.status, detail };
  } catch (error) {
    return { outcome: classifyDeliveryError(error, row.inbox), status: null };
  }
}

/** The start of an error answer, as one line, for lastError. Never throws. */
async function bodySnippet(response: Response): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a body cut short is still worth showing
  } finally {
    reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).toString("utf8").replace(/\s+/g, " ").trim();
  return text ? text.slice(0, ERROR_BODY_CHARS) : undefined;
}
