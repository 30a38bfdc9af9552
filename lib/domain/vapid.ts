import { generateKeyPairSync } from "node:crypto";
import { db } from "../db";
import { env } from "../env";

// The server's VAPID key (RFC 8292): push services check that every push to a
// subscription is signed by the key the subscription was made for. One P-256
// key per instance, made at setup or on first need, kept in the KeyPair table
// so that backups carry it (a new key would silently orphan every device's
// subscription). Browsers and apps want the public key as the raw 65-byte
// point, base64url; the `web-push` library wants the private scalar the same way.

const ACTOR = "push.vapid"; // not a user name (it has a dot), so never an actor's row
const ALGORITHM = "ECDSA-P256";

export type VapidKeys = { publicKey: string; privateKey: string; subject: string };

type Jwk = { x: string; y: string; d?: string };

function rawPublic(jwk: Jwk): string {
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]).toString("base64url");
}

/**
 * RFC 8292 §2.1: a contact for the push service, the instance's own address. It must be an
 * https: or mailto: URL (web-push refuses others), so an http origin (a LAN, tests) gives a mailto:.
 */
export function vapidSubject(origin: string): string {
  const url = new URL(origin);
  return url.protocol === "https:" ? url.origin : `mailto:push@${url.hostname.replace(/^\[|\]$/g, "")}`;
}

const shared = globalThis as { __moietyVapid?: Promise<VapidKeys> };

async function loadOrCreate(): Promise<VapidKeys> {
  let row = await db().keyPair.findUnique({ where: { actor_algorithm: { actor: ACTOR, algorithm: ALGORITHM } } });
  if (!row) {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    // Two processes may race to make the key: the unique (actor, algorithm) lets one win, and both read it back.
    await db().$executeRawUnsafe(
      `INSERT INTO "KeyPair" ("actor", "algorithm", "publicJwk", "privateJwk", "createdAt") VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ACTOR,
      ALGORITHM,
      JSON.stringify(publicKey.export({ format: "jwk" })),
      JSON.stringify(privateKey.export({ format: "jwk" })),
      new Date(),
    );
    row = await db().keyPair.findUniqueOrThrow({ where: { actor_algorithm: { actor: ACTOR, algorithm: ALGORITHM } } });
  }
  const pub = JSON.parse(row.publicJwk) as Jwk;
  const priv = JSON.parse(row.privateJwk) as Jwk;
  return { publicKey: rawPublic(pub), privateKey: priv.d!, subject: vapidSubject(env().origin) };
}

/** The instance's VAPID keys, made on first use. */
export function vapidKeys(): Promise<VapidKeys> {
  shared.__moietyVapid ??= loadOrCreate().catch((err) => {
    shared.__moietyVapid = undefined;
    throw err;
  });
  return shared.__moietyVapid;
}
