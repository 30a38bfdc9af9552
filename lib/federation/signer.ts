import type { CryptographicKey, Multikey, RequestContext } from "@fedify/fedify";
import { fetchActorById, LookupError } from "./lookup";

// Who signed a GET, for the DM object dispatcher (lib/federation/objects.ts).
// Fedify's getSignedKeyOwner believes an `owner` the key document embeds, so a
// key on any server could claim to belong to a DM's recipient (issue 11). The
// inbox's rule applies instead (lib/federation/inbound/accept.ts): the key lives
// on its owner's server, and the owner, fetched from its own id, lists it.

function signatureKeyId(request: Request): string | null {
  const header = request.headers.get("signature");
  if (!header) return null;
  return /(?:^|,)\s*keyId="([^"]*)"/.exec(header)?.[1] ?? null;
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

async function sameKeyMaterial(a: CryptoKey, b: CryptoKey): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([crypto.subtle.exportKey("spki", a), crypto.subtle.exportKey("spki", b)]);
    return Buffer.from(x).equals(Buffer.from(y));
  } catch {
    return false;
  }
}

/** The actor whose key signed this request, or null when unsigned, invalid, or the key is not provably theirs. */
export async function verifiedSigner(ctx: RequestContext<void>): Promise<URL | null> {
  const key = await ctx.getSignedKey(); // the HTTP signature checks out against the key fetched from keyId
  const keyId = signatureKeyId(ctx.request);
  if (!key?.id || !key.ownerId || !key.publicKey || !keyId) return null;
  const owner = key.ownerId;
  if (originOf(keyId) !== owner.origin || key.id.origin !== owner.origin) return null;
  const loaders = { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader };
  let actor;
  try {
    actor = (await fetchActorById(owner, loaders)).actor;
  } catch (error) {
    if (error instanceof LookupError || (error as Error)?.name === "PrivateAddressError") return null;
    throw error;
  }
  const listed: (CryptographicKey | Multikey)[] = [];
  for await (const k of actor.getPublicKeys(loaders)) listed.push(k);
  for await (const k of actor.getAssertionMethods(loaders)) listed.push(k);
  for (const k of listed) {
    if (k.id?.href === key.id.href && k.publicKey && (await sameKeyMaterial(k.publicKey, key.publicKey))) return owner;
  }
  return null;
}
