// Runs once per server process (not during `next build`): start the queues,
// unless `moiety serve` runs them itself (lib/federation/worker-owner.ts).
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { workersOwnedByServe } = await import("./lib/federation/worker-owner");
    if (workersOwnedByServe()) return;
    const { startWorkers } = await import("./lib/federation/worker");
    startWorkers();
  }
}
