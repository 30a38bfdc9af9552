import { dbReady } from "../db";
import { startDeliveryWorker } from "./delivery";
import { federation } from "./federation";

// Background work inside the server process: Fedify's inbox queue and our
// delivery queue. Started once by instrumentation.ts; nothing starts on import
// (Next imports modules during the build too).

const g = globalThis as unknown as { moietyWorkers?: AbortController };

export function startWorkers(): void {
  if (g.moietyWorkers) return;
  const controller = new AbortController();
  g.moietyWorkers = controller;
  void (async () => {
    await dbReady();
    // Not awaited: startQueue runs until the signal aborts.
    void federation().startQueue(undefined, { signal: controller.signal });
    void startDeliveryWorker({ signal: controller.signal });
  })().catch((err) => console.error("workers: failed to start:", err));

  const stop = () => controller.abort();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
