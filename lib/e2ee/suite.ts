// The one MLS configuration this engine uses (docs/E2EE.md, "Choices"): suite 1
// only, basic credentials naming the owner's actor URL, 30-day KeyPackage
// lifetimes checked on use, and an authentication service that knows which
// actors may be in a group. ts-mls 1.6.4's defaults accept any
// credential, advertise every suite and never check lifetimes.
import {
  defaultCapabilities,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type Capabilities,
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientConfig,
  type Credential,
  type Lifetime,
} from "ts-mls";
import { defaultClientConfig } from "ts-mls/clientConfig.js";

export const SUITE: CiphersuiteName = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519";

const DAY_SECONDS = 86_400n;
export const LIFETIME_SECONDS = 30n * DAY_SECONDS;

let cached: Promise<CiphersuiteImpl> | null = null;

/** The suite's implementation, built once per page (it sets up WebCrypto and HPKE objects). */
export function suite(): Promise<CiphersuiteImpl> {
  if (!cached) {
    cached = getCiphersuiteImpl(getCiphersuiteFromName(SUITE));
    // A failed build (a browser without X25519, say) must not stick for the page's life.
    cached.catch(() => (cached = null));
  }
  return cached;
}

/** What our leaves advertise: only suite 1 and basic credentials (ts-mls adds its GREASE values). */
export function capabilities(): Capabilities {
  return { ...defaultCapabilities(), ciphersuites: [SUITE], credentials: ["basic"] };
}

/** How far behind ours another device's clock may be and still take our KeyPackages as valid already. */
export const CLOCK_SLACK_SECONDS = 3_600n;

/** 30 days in all, starting an hour ago: a device whose clock is behind ours must not see it as not valid yet. */
export function newLifetime(nowMs: number): Lifetime {
  const notBefore = BigInt(Math.floor(nowMs / 1000)) - CLOCK_SLACK_SECONDS;
  return { notBefore, notAfter: notBefore + LIFETIME_SECONDS };
}

export function credentialOf(actor: string): Credential {
  return { credentialType: "basic", identity: new TextEncoder().encode(actor) };
}

/** The actor URL a credential names, or null when it is not a basic credential of valid UTF-8. */
export function identityOf(credential: Credential): string | null {
  if (credential.credentialType !== "basic") return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(credential.identity);
  } catch {
    return null;
  }
}

/**
 * The client config for a group whose members may only be devices of `actors`
 * (the conversation's participants plus the owner). ts-mls calls the
 * authentication service for every leaf it meets: the tree in a Welcome, added
 * KeyPackages, committers' new leaves.
 */
export function clientConfigFor(actors: Iterable<string>): ClientConfig {
  const allowed = new Set(actors);
  return {
    ...defaultClientConfig,
    // Lifetimes are checked where a KeyPackage is used: when this device picks one to add
    // (device.ts, checkPeerKeyPackage) and by ts-mls when it adds one. Not on the leaves
    // of a tree received: members who never commit keep their KeyPackage leaves, which
    // expire after 30 days, and checking them made every Welcome to a conversation
    // older than that fail (RFC 9420, 7.3, only recommends this check, because a leaf
    // may expire in transit); so did a creator's clock a minute ahead of the joiner's.
    lifetimeConfig: { maximumTotalLifetime: LIFETIME_SECONDS + 120n, validateLifetimeOnReceive: false },
    authService: {
      async validateCredential(credential: Credential) {
        const actor = identityOf(credential);
        return actor !== null && allowed.has(actor);
      },
    },
  };
}
