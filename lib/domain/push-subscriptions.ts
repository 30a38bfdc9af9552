import { createPublicKey } from "node:crypto";
import { db } from "../db";
import type { PushSubscription } from "../generated/prisma/client";
import { sealToken } from "./push-token";

// Push subscriptions of the owner's browsers and of Mastodon apps. What a
// subscription asks to hear about is Mastodon's `alerts` (mention, follow,
// follow_request, …) and `policy` (all, followed, follower, none); the web
// UI's choices are stored the same way.

export type { PushSubscription };

export class PushSubscriptionError extends Error {}

export const POLICIES = ["all", "followed", "follower", "none"] as const;
export type Policy = (typeof POLICIES)[number];

/** The alerts Moiety can send (the others Mastodon knows — reblog, favourite, poll … — never happen here). */
export const ALERTS = ["mention", "follow", "follow_request"] as const;
export type Alerts = Partial<Record<string, boolean>>;

export type NewPushSubscription = {
  endpoint: string;
  p256dh: string;
  auth: string;
  standard?: boolean;
  alerts?: Alerts;
  policy?: Policy;
} & (
  | { tokenId: number; sessionId?: undefined; deviceName?: string; /** The bearer token the app subscribed with (its pushes carry it), kept encrypted. */ accessToken?: string }
  | { tokenId?: undefined; sessionId: string; deviceName: string; accessToken?: undefined }
);

const base64url = /^[A-Za-z0-9_-]+={0,2}$/;

function decoded(value: string, what: string): Buffer {
  const v = value.trim().replace(/\+/g, "-").replace(/\//g, "_");
  if (!base64url.test(v)) throw new PushSubscriptionError(`The ${what} is not base64url.`);
  return Buffer.from(v.replace(/=+$/, ""), "base64url");
}

/**
 * The subscription's fields checked: an https endpoint (http only on a test
 * machine, where private addresses are allowed too), a P-256 public point and
 * a 16-byte auth secret — what RFC 8291 encryption needs.
 */
export function checkSubscription(s: Pick<NewPushSubscription, "endpoint" | "p256dh" | "auth">, allowHttp: boolean): { endpoint: string; p256dh: string; auth: string } {
  let url: URL;
  try {
    url = new URL(s.endpoint);
  } catch {
    throw new PushSubscriptionError("The push endpoint is not a URL.");
  }
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) throw new PushSubscriptionError("The push endpoint must be an https URL.");
  if (s.endpoint.length > 2048) throw new PushSubscriptionError("The push endpoint is longer than 2048 characters.");
  const key = decoded(s.p256dh, "p256dh key");
  if (key.length !== 65 || key[0] !== 4) throw new PushSubscriptionError("The p256dh key is not an uncompressed P-256 public key (65 bytes).");
  try {
    // Refused now rather than at every push: encryption needs a point on the curve.
    createPublicKey({ key: { kty: "EC", crv: "P-256", x: key.subarray(1, 33).toString("base64url"), y: key.subarray(33).toString("base64url") }, format: "jwk" });
  } catch {
    throw new PushSubscriptionError("The p256dh key is not a point on the P-256 curve.");
  }
  const auth = decoded(s.auth, "auth secret");
  if (auth.length !== 16) throw new PushSubscriptionError("The auth secret must be 16 bytes.");
  return { endpoint: s.endpoint, p256dh: key.toString("base64url"), auth: auth.toString("base64url") };
}

function cleanAlerts(alerts: Alerts | undefined): string {
  const out: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(alerts ?? {})) if (/^[a-z_.]{1,40}$/.test(k)) out[k] = v === true;
  return JSON.stringify(out);
}

/**
 * Save a subscription. An API token has one (a new one replaces it, as in
 * Mastodon); a browser's is keyed by its endpoint (subscribing again updates it).
 */
export async function savePushSubscription(input: NewPushSubscription, opts: { allowHttp: boolean }): Promise<PushSubscription> {
  const checked = checkSubscription(input, opts.allowHttp);
  const data = {
    ...checked,
    standard: input.standard ?? false,
    alerts: cleanAlerts(input.alerts),
    policy: input.policy && POLICIES.includes(input.policy) ? input.policy : "all",
    tokenId: input.tokenId ?? null,
    sessionId: input.sessionId ?? null,
    deviceName: (input.deviceName ?? "").slice(0, 200),
    tokenCipher: input.tokenId !== undefined && input.accessToken ? sealToken(input.accessToken, input.tokenId) : null,
  };
  return db().$transaction(async (tx) => {
    if (input.tokenId !== undefined) await tx.pushSubscription.deleteMany({ where: { tokenId: input.tokenId } });
    return tx.pushSubscription.upsert({ where: { endpoint: checked.endpoint }, create: data, update: data });
  });
}

export async function pushSubscriptionOfToken(tokenId: number): Promise<PushSubscription | null> {
  return db().pushSubscription.findUnique({ where: { tokenId } });
}

export async function updatePushSubscription(id: number, change: { alerts?: Alerts; policy?: Policy }): Promise<PushSubscription> {
  return db().pushSubscription.update({
    where: { id },
    data: { ...(change.alerts ? { alerts: cleanAlerts(change.alerts) } : {}), ...(change.policy && POLICIES.includes(change.policy) ? { policy: change.policy } : {}) },
  });
}

export async function removePushSubscription(where: { id: number } | { tokenId: number } | { endpoint: string }): Promise<boolean> {
  return (await db().pushSubscription.deleteMany({ where })).count > 0;
}

/** The owner's browsers (Settings → Notifications lists them), newest first. */
export async function listBrowserSubscriptions(): Promise<PushSubscription[]> {
  return db().pushSubscription.findMany({ where: { tokenId: null }, orderBy: { createdAt: "desc" } });
}

export function alertsOf(s: Pick<PushSubscription, "alerts">): Record<string, boolean> {
  try {
    const parsed = JSON.parse(s.alerts);
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}
