import { env } from "../env";
import {
  POLICIES,
  PushSubscriptionError,
  checkSubscription,
  alertsOf,
  pushSubscriptionOfToken,
  removePushSubscription,
  savePushSubscription,
  updatePushSubscription,
  type Alerts,
  type Policy,
  type PushSubscription,
} from "../domain/push-subscriptions";
import { MASTODON_ALERT_KEYS } from "../domain/push-payload";
import { vapidKeys } from "../domain/vapid";
import { assertPublicUrl } from "../federation/safe-fetch";
import { bearerOf, requireToken } from "./auth";
import { ApiError, json } from "./http";
import { readParams, type Params } from "./params";

// Mastodon's push API (docs.joinmastodon.org/methods/push): one Web Push
// subscription per access token. Parameters come as JSON, form fields or —
// Ice Cubes — the query string alone (lib/api/params.ts reads all three);
// `policy` at the top level or as `data[policy]` (the iOS app, Tokodon).
// The subscription's `id` is a JSON number (Tusky parses an Int). Sending is
// lib/federation/outbound/push-delivery.ts.

const NOT_FOUND = "Record not found"; // Mastodon's text; Phanpy matches it

const TRUE = new Set(["true", "1", "on", "yes"]);

function bool(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  return typeof value === "string" && TRUE.has(value.trim().toLowerCase());
}

function obj(value: unknown): Params | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Params) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** `data[alerts][…]` as booleans, or undefined when not given. */
function alertsParam(p: Params): Alerts | undefined {
  const alerts = obj(obj(p.data)?.alerts);
  if (!alerts) return undefined;
  const out: Alerts = {};
  for (const [key, value] of Object.entries(alerts)) {
    // masto.js sends nested admin alerts as data[alerts][admin][sign_up]
    const nested = obj(value);
    if (nested) for (const [k, v] of Object.entries(nested)) out[`${key}.${k}`] = bool(v);
    else out[key] = bool(value);
  }
  return out;
}

function policyParam(p: Params): Policy | undefined {
  const value = text(p.policy) ?? text(obj(p.data)?.policy);
  if (value === undefined) return undefined;
  if (!(POLICIES as readonly string[]).includes(value)) throw new ApiError(422, `policy must be one of ${POLICIES.join(", ")}.`);
  return value as Policy;
}

/**
 * Refused at once rather than failing silently at every push: a push endpoint on this server's
 * own network is never contacted (lib/federation/safe-fetch.ts). A name that does not resolve
 * now (or not within 5 s) may later; sending will tell.
 */
async function onPrivateNetwork(endpoint: string, allowPrivate: boolean): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = assertPublicUrl(endpoint, { allowPrivate }).then(
    () => false,
    (err: Error) => err.name === "PrivateAddressError",
  );
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), 5000);
  });
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Mastodon's WebPushSubscription entity. */
export async function subscriptionEntity(s: PushSubscription) {
  const stored = alertsOf(s);
  const alerts: Record<string, boolean> = {};
  for (const key of MASTODON_ALERT_KEYS) alerts[key] = stored[key] === true;
  return {
    id: s.id,
    endpoint: s.endpoint,
    standard: s.standard,
    alerts,
    policy: s.policy,
    server_key: (await vapidKeys()).publicKey,
  };
}

/** POST /api/v1/push/subscription: create the token's subscription, replacing any it had. */
export async function createPushSubscription(request: Request): Promise<Response> {
  const token = await requireToken(request, "push");
  const p = await readParams(request);
  const sub = obj(p.subscription);
  const keys = obj(sub?.keys);
  const endpoint = text(sub?.endpoint);
  const p256dh = text(keys?.p256dh);
  const auth = text(keys?.auth);
  if (!endpoint || !p256dh || !auth) {
    throw new ApiError(400, "subscription[endpoint], subscription[keys][p256dh] and subscription[keys][auth] are required.");
  }
  const policy = policyParam(p);
  const allowHttp = env().allowPrivateAddresses;
  try {
    checkSubscription({ endpoint, p256dh, auth }, allowHttp);
  } catch (err) {
    if (err instanceof PushSubscriptionError) throw new ApiError(422, err.message);
    throw err;
  }
  if (await onPrivateNetwork(endpoint, allowHttp)) {
    throw new ApiError(422, "The push endpoint is on a private or local network address, which Moiety does not contact.");
  }
  try {
    const saved = await savePushSubscription(
      {
        endpoint,
        p256dh,
        auth,
        standard: bool(sub?.standard),
        alerts: alertsParam(p) ?? {},
        policy: policy ?? "all",
        tokenId: token.id,
        accessToken: bearerOf(request) ?? undefined,
      },
      { allowHttp },
    );
    return json(await subscriptionEntity(saved));
  } catch (err) {
    if (err instanceof PushSubscriptionError) throw new ApiError(422, err.message);
    throw err;
  }
}

export async function showPushSubscription(request: Request): Promise<Response> {
  const token = await requireToken(request, "push");
  const s = await pushSubscriptionOfToken(token.id);
  if (!s) throw new ApiError(404, NOT_FOUND);
  return json(await subscriptionEntity(s));
}

/** PUT: change what it is told about (`data[alerts]`) and from whom (`policy`). */
export async function updatePushSubscriptionHandler(request: Request): Promise<Response> {
  const token = await requireToken(request, "push");
  const s = await pushSubscriptionOfToken(token.id);
  if (!s) throw new ApiError(404, NOT_FOUND);
  const p = await readParams(request);
  const updated = await updatePushSubscription(s.id, { alerts: alertsParam(p), policy: policyParam(p) });
  return json(await subscriptionEntity(updated));
}

export async function deletePushSubscription(request: Request): Promise<Response> {
  const token = await requireToken(request, "push");
  await removePushSubscription({ tokenId: token.id });
  return json({});
}
