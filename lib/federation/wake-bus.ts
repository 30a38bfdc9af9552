import { EventEmitter } from "node:events";

// In-process wake-ups for the queues' listeners. Listeners poll, but work
// queued in this process should be taken up at once. The bus lives on
// globalThis because one process holds several copies of these modules: Next
// loads them up to three times, and `moiety serve` runs the workers from
// source next to Next's bundle (lib/server/lazy-workers.ts) — a wake-up from a
// server action must reach the worker whichever copy each came from.
//
// No imports beyond Node's: the serve process listens here long before it
// loads the workers (and Prisma, and Fedify) that do the work.

type WakeBus = { emitter: EventEmitter; versions: Map<string, number>; any?: Set<(channel: string) => void> };
const g = globalThis as unknown as { moietyQueueWake?: WakeBus };

function bus(): WakeBus {
  if (!g.moietyQueueWake) {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    g.moietyQueueWake = { emitter, versions: new Map() };
  }
  return g.moietyQueueWake;
}

/** Wake every waiting listener of `channel` in this process. */
export function wakeUp(channel: string): void {
  const b = bus();
  b.versions.set(channel, (b.versions.get(channel) ?? 0) + 1);
  b.emitter.emit(channel);
  for (const fn of b.any ?? []) fn(channel);
}

/** Call `fn` on every wake-up of any channel (whether or not anyone listens there yet); returns the unsubscribe. */
export function onAnyWake(fn: (channel: string) => void): () => void {
  const b = bus();
  const any = (b.any ??= new Set());
  any.add(fn);
  return () => any.delete(fn);
}

/** A counter that changes on every wakeUp(channel); pass it to waitForWake. */
export function wakeVersion(channel: string): number {
  return bus().versions.get(channel) ?? 0;
}

/**
 * Resolve on the next wakeUp(channel) (at once if one happened since `seen`),
 * after `ms`, or when `signal` aborts — whichever comes first.
 */
export function waitForWake(channel: string, seen: number, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || wakeVersion(channel) !== seen) return Promise.resolve();
  const { emitter } = bus();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      emitter.off(channel, done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    emitter.on(channel, done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
