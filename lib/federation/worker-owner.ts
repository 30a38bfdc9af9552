// `moiety serve` loads Next's request handler into its own process, and with it
// instrumentation.ts, which would start a second set of workers there and put
// its own signal handlers next to serve's. serve claims the workers first; the
// mark lives on globalThis, which every copy of this module (tsx's and Next's
// bundle) sees. No imports: the serve process reads it before loading anything.

const g = globalThis as unknown as { moietyWorkersOwner?: "serve" };

/** Called by `moiety serve` before Next can load: it runs (and stops) the workers itself. */
export function claimWorkersForServe(): void {
  g.moietyWorkersOwner = "serve";
}

export function workersOwnedByServe(): boolean {
  return g.moietyWorkersOwner === "serve";
}
