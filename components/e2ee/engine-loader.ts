import type { E2eeTransport } from "@/lib/e2ee/transport-types";
import type { E2eeStatus } from "./status";
import { createE2eeEngine, type E2eeEngine } from "@/lib/e2ee/engine";
import { createIndexedDbStore } from "@/lib/e2ee/store-idb";

// Loaded with import() from engine-context.tsx, so ts-mls and the engine are a
// separate chunk that only the owner's pages fetch, after they are interactive.

export type LoadedEngine = E2eeEngine;

/** What MLS needs from this browser; a plain reason when something is missing. */
async function missing(): Promise<string | null> {
  if (typeof indexedDB === "undefined") return "This browser does not offer storage for keys (IndexedDB), for example in some private windows.";
  if (!globalThis.crypto?.subtle) return "This page is not in a secure context (HTTPS), so the browser's cryptography is unavailable.";
  try {
    await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
  } catch {
    return "This browser lacks Ed25519 or X25519 in its Web Crypto API; update it to use end-to-end encryption.";
  }
  return null;
}

/** A readable name for this device, from the browser's own description of itself. */
export function deviceName(ua: string): string {
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

export async function loadEngine(ownerActor: string, transport: E2eeTransport): Promise<{ ok: true; engine: LoadedEngine } | { ok: false; status: E2eeStatus }> {
  const reason = await missing();
  if (reason) return { ok: false, status: { state: "unsupported", reason } };
  const store = await createIndexedDbStore(`moiety-e2ee:${ownerActor}`);
  const engine = createE2eeEngine({ transport, store, ownerActor, deviceName: deviceName(navigator.userAgent) });
  return { ok: true, engine };
}
