import { db, writeTransaction } from "../db";
import type { Owner } from "../generated/prisma/client";
import { dropSubscriptionsOfEndedSessions } from "./browser-push";
import { generateEd25519KeyPair, generateRsaKeyPair } from "./keys";
import { hashPassword, verifyPassword } from "./password";
import { vapidKeys } from "./vapid";

export type { Owner };

export async function getOwner(): Promise<Owner | null> {
  return db().owner.findUnique({ where: { id: 1 } });
}

export async function ownerExists(): Promise<boolean> {
  return (await db().owner.count()) > 0;
}

export class OwnerExistsError extends Error {
  constructor() {
    super("This instance already has an owner; setup is closed.");
  }
}

export type NewOwner = {
  username: string;
  displayName: string;
  password: string;
  bio: string;
  avatar?: { file: string; type: string };
};

/**
 * Create the owner with fresh key pairs. `insideTransaction` runs in the same
 * transaction (the wizard marks its setup code used there), so either all of
 * it happens or none.
 */
export async function createOwner(
  input: NewOwner,
  insideTransaction?: (tx: Parameters<Parameters<ReturnType<typeof db>["$transaction"]>[0]>[0]) => Promise<void>,
): Promise<Owner> {
  // Slow work (hashing, key generation) happens before the write transaction.
  const passwordHash = await hashPassword(input.password);
  const keys = [generateRsaKeyPair(), generateEd25519KeyPair()];
  // The instance actor signs our fetches; made now rather than by the first
  // lookup, where an RSA key generation stalled the server for ~150 ms.
  const instanceKeys = [generateRsaKeyPair(), generateEd25519KeyPair()];
  const owner = await writeTransaction(async (tx) => {
    if ((await tx.owner.count()) > 0) throw new OwnerExistsError();
    const owner = await tx.owner.create({
      data: {
        id: 1,
        username: input.username,
        displayName: input.displayName,
        bio: input.bio,
        avatarFile: input.avatar?.file ?? null,
        avatarType: input.avatar?.type ?? null,
        passwordHash,
      },
    });
    await tx.keyPair.deleteMany({ where: { actor: "owner" } });
    for (const k of keys) {
      await tx.keyPair.create({ data: { actor: "owner", ...k } });
    }
    for (const k of instanceKeys) {
      await tx.keyPair.upsert({
        where: { actor_algorithm: { actor: "instance", algorithm: k.algorithm } },
        create: { actor: "instance", ...k },
        update: {},
      });
    }
    if (insideTransaction) await insideTransaction(tx);
    return owner;
  });
  // The push (VAPID) key too, at setup; instances set up before push make it on first need.
  await vapidKeys();
  return owner;
}

/** Check the owner's credentials; the username comparison ignores case and an @. */
export async function checkCredentials(username: string, password: string): Promise<Owner | null> {
  const owner = await getOwner();
  const wanted = username.trim().replace(/^@/, "").toLowerCase();
  // Verify even when the name is wrong so the answer takes the same time.
  const hashToCheck = owner?.passwordHash ?? DUMMY_HASH;
  const passwordOk = await verifyPassword(hashToCheck, password);
  if (!owner || owner.username !== wanted || !passwordOk) return null;
  return owner;
}

// A valid argon2id hash of a random string, so unknown users cost the same.
const DUMMY_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Qy8mcm1yb2Z9zKZl4Hn3hJ1RNRbZ7gWl0FfJ7cYQ0k";

/**
 * Change the password and end every session: their rows go, and their cookies carry the old
 * session version. The browser that changed it logs in again with the new password.
 */
export async function changePassword(newPassword: string): Promise<Owner> {
  const passwordHash = await hashPassword(newPassword);
  const [owner] = await db().$transaction([
    db().owner.update({ where: { id: 1 }, data: { passwordHash, sessionVersion: { increment: 1 } } }),
    db().session.deleteMany({}),
  ]);
  // No browser is told about new messages any more; each turns notifications on again after logging in.
  await dropSubscriptionsOfEndedSessions();
  return owner;
}

export async function updateProfile(p: { displayName: string; bio: string; avatar?: { file: string; type: string } | null }): Promise<{ owner: Owner; oldAvatar: string | null }> {
  const before = await db().owner.findUniqueOrThrow({ where: { id: 1 } });
  const owner = await db().owner.update({
    where: { id: 1 },
    data: {
      displayName: p.displayName,
      bio: p.bio,
      ...(p.avatar !== undefined ? { avatarFile: p.avatar?.file ?? null, avatarType: p.avatar?.type ?? null } : {}),
    },
  });
  return { owner, oldAvatar: p.avatar !== undefined ? before.avatarFile : null };
}
