import type { KeyObject } from "node:crypto";

// What the signature readers (lib/federation/inbound/cavage.ts, rfc9421.ts)
// share: the request as they see it, the result, and the clock checks.

/** How far a signature's Date (or created) may be from our clock, either way: Fedify's window, as before. */
export const TIME_WINDOW_MS = 60 * 60_000;

export type InboundRequest = {
  method: string;
  /** Path and query as received. */
  path: string;
  /** The Host header. */
  authority: string;
  /** How the sender reached us: the scheme of our public origin. */
  scheme: "http" | "https";
  /** Header names lowercased; repeated headers joined with ", " (as node:http gives them). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
};

export type ReadSignature = {
  standard: "draft-cavage" | "RFC 9421";
  keyId: string;
  /** Whether the signature verifies with this public key; never throws. */
  verify: (key: KeyObject) => boolean;
};

export type SignatureResult = { ok: true; signature: ReadSignature } | { ok: false; error: string };

export function header(req: InboundRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "https:" || u.protocol === "http:") && u.host.length > 0;
  } catch {
    return false;
  }
}

/** A Date header within the window, or why not. */
export function dateProblem(date: string | undefined, now: number): string | null {
  const at = date === undefined ? NaN : new Date(date).getTime();
  if (Number.isNaN(at)) return "The Date header is missing or not a date.";
  if (Math.abs(at - now) > TIME_WINDOW_MS) return "The Date header is more than an hour away from our clock.";
  return null;
}

/** created/expires (seconds since the epoch) against the clock, or why not. */
export function timeProblem(created: number | undefined, expires: number | undefined, now: number): string | null {
  if (created !== undefined && Math.abs(created * 1000 - now) > TIME_WINDOW_MS) return "The signature was not created within the last hour.";
  if (expires !== undefined && expires * 1000 < now) return "The signature has expired.";
  return null;
}

