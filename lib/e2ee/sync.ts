// sync(): read the owner's stream from the saved cursor and apply it in order
// (docs/E2EE.md, "Ordering"). Each envelope's changes and the cursor land in
// one batch; what must wait is kept and retried after each later success, and
// given up as unreadable after 50 later envelopes of its group. Calls to the
// server that an envelope asks for (hide a message, remove a KeyPackage), and a
// commit that could not be sent, are recorded with the state that needs them
// and made afterwards, so none is lost to a crash or a failed request.
import type { EngineContext } from "./context";
import type { DeviceRecord } from "./device";
import { addNewDevices, sendSaved } from "./membership";
import { applyEnvelope, decodeEnvelope, groupHexOf, markUnreadable } from "./receive";
import { MAX_WAIT, R, type GroupMeta, type PendingRecord, type SendRecord } from "./records";
import { Batch } from "./vault";

const PAGE = 100;

export async function flushServerCalls(ctx: EngineContext, device: DeviceRecord): Promise<void> {
  // Oldest first (the names start with the time): a commit before anything sent after it.
  for (const [name, saved] of await ctx.vault.list<SendRecord>(R.toSend(""))) await sendSaved(ctx, device, name, saved);
  for (const [name] of await ctx.vault.list(R.toHide(""))) {
    await ctx.transport.hideEnvelopeMessage({ messageId: name.slice(R.toHide("").length) });
    await ctx.vault.commit(new Batch().delete(name));
  }
  for (const [name] of await ctx.vault.list(R.toRemoveKeyPackage(""))) {
    await ctx.transport.removeKeyPackage({ deviceId: device.deviceId, keyPackageId: name.slice(R.toRemoveKeyPackage("").length) });
    await ctx.vault.commit(new Batch().delete(name));
  }
}

const GAVE_UP = "This message could not be decrypted on this device: the keys for it never arrived.";

/** Retries waiting envelopes, oldest first, until a pass changes nothing. */
async function retryPending(ctx: EngineContext, device: DeviceRecord): Promise<void> {
  for (let progress = true; progress; ) {
    progress = false;
    for (const [name, pending] of await ctx.vault.list<PendingRecord>("pending/")) {
      const batch = new Batch();
      const result = await applyEnvelope(ctx, device, pending.envelope, batch);
      if (result.kind === "wait") continue;
      batch.delete(name);
      await ctx.vault.commit(batch);
      if (result.kind === "applied") progress = true;
    }
  }
}

export async function syncStream(ctx: EngineContext, device: DeviceRecord): Promise<{ processed: number }> {
  await flushServerCalls(ctx, device);
  let processed = 0;
  for (;;) {
    const cursor = (await ctx.vault.get<{ seq: number }>(R.cursor))?.seq ?? 0;
    const page = await ctx.transport.envelopeStream({ after: cursor, limit: PAGE });
    for (const envelope of page.envelopes) {
      if (envelope.seq <= cursor) continue;
      const batch = new Batch().put(R.cursor, { seq: envelope.seq });
      // What this device sent it applied when sending.
      const own = envelope.direction === "out" && envelope.senderDevice === device.deviceId;
      const result = own
        ? { kind: "ignored" as const, groupHex: groupHexOf(decodeEnvelope(envelope)) }
        : await applyEnvelope(ctx, device, envelope, batch);
      if (result.kind === "wait") batch.put(R.pending(envelope.seq), { envelope, groupHex: result.groupHex, waited: 0 } satisfies PendingRecord);
      if (result.groupHex) {
        for (const [name, pending] of await ctx.vault.list<PendingRecord>("pending/")) {
          if (pending.groupHex !== result.groupHex) continue;
          if (pending.waited + 1 < MAX_WAIT) {
            batch.put(name, { ...pending, waited: pending.waited + 1 });
          } else {
            batch.delete(name);
            markUnreadable(batch, pending.envelope, GAVE_UP);
          }
        }
      }
      await ctx.vault.commit(batch);
      processed++;
      if (result.kind === "applied") await retryPending(ctx, device);
    }
    await flushServerCalls(ctx, device);
    if (page.envelopes.length < PAGE) break;
  }
  const metas = (await ctx.vault.list<GroupMeta>("group/")).map(([, meta]) => meta);
  await addNewDevices(ctx, device, metas);
  return { processed };
}
