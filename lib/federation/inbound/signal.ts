// Wake-ups inside the front process: the inbox writer tells the worker that
// activities were committed; the worker tells whoever runs the Fedify queue
// that it handed something over, and the push worker and open change streams
// (lib/federation/change-stream.ts) that it stored messages — those in
// another process see the rows at their next poll instead. Plain callbacks on globalThis, so a module
// loaded twice (tsx and a bundle) still reaches the same listeners.

type Listener = () => void;
type Signals = { committed: Set<Listener>; handedOver: Set<Listener>; stored?: Set<Listener> };

const g = globalThis as typeof globalThis & { __moietyInboundSignals?: Signals };
const signals: Signals = (g.__moietyInboundSignals ??= { committed: new Set(), handedOver: new Set() });

export function onInboxCommitted(fn: Listener): () => void {
  signals.committed.add(fn);
  return () => signals.committed.delete(fn);
}

export function inboxCommitted(): void {
  for (const fn of signals.committed) fn();
}

export function onHandedToFedify(fn: Listener): () => void {
  signals.handedOver.add(fn);
  return () => signals.handedOver.delete(fn);
}

export function handedToFedify(): void {
  for (const fn of signals.handedOver) fn();
}

export function onInboxStored(fn: Listener): () => void {
  (signals.stored ??= new Set()).add(fn);
  return () => signals.stored?.delete(fn);
}

export function inboxStored(): void {
  for (const fn of signals.stored ?? []) fn();
}
