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

/** 30 days from now; a minute of slack before, for clocks that run a little behind ours. */
export function newLifetime(nowMs: number): Lifetime {
  const now = BigInt(Math.floor(nowMs / 1000));
  return { notBefore: now - 60n, notAfter: now + LIFETIME_SECONDS };
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
    lifetimeConfig: { maximumTotalLifetime: LIFETIME_SECONDS + 120n, validateLifetimeOnReceive: true },
    authService: {
      async validateCredential(credential: Credential) {
        const actor = identityOf(credential);
        return actor !== null && allowed.has(actor);
      },
    },
  };
}
