import { db } from "../db";

// Small instance settings, JSON-encoded in the Setting table.

export type Settings = {
  /** The public origin the owner was created under; the actor's identity hangs on it. */
  origin: string;
  approveFollowers: boolean;
  /** Accounts the owner also is (actor URLs): lets followers move here from an old account. */
  alsoKnownAs: string[];
  /** Push notifications carry the message's text (true) or only who wrote (false, the default). */
  pushShowText: boolean;
};

export async function getSetting<K extends keyof Settings>(key: K): Promise<Settings[K] | undefined> {
  const row = await db().setting.findUnique({ where: { key } });
  return row ? (JSON.parse(row.value) as Settings[K]) : undefined;
}

export async function setSetting<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
  const encoded = JSON.stringify(value);
  await db().setting.upsert({ where: { key }, create: { key, value: encoded }, update: { value: encoded } });
}
