// Shutdown of the one Prisma client that lib/db.ts keeps on globalThis. No
// imports: `moiety serve` closes the client whichever copy of lib/db.ts made
// it (Next's or its workers'), without loading Prisma when neither did.

const slot = globalThis as unknown as { moietyPrisma?: { $disconnect(): Promise<void> }; moietyDbReady?: Promise<void> };

/** Close the connection, if one was opened. */
export async function closeDb(): Promise<void> {
  const client = slot.moietyPrisma;
  slot.moietyPrisma = undefined;
  slot.moietyDbReady = undefined;
  await client?.$disconnect();
}
