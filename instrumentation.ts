// Runs once per server process (not during `next build`): start the queues.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startWorkers } = await import("./lib/federation/worker");
    startWorkers();
  }
}
