import { db, dbReady } from "../db";
import { startDeliveryWorker } from "./delivery";
import { federation } from "./federation";
import { startPushWorker } from "./push-delivery";

// Background work inside the server process: Fedify's inbox queue, our
// delivery queue and the push queue. Started once by instrumentation.ts; nothing starts on import
// (Next imports modules during the build too).
//
// Shutdown is ours, not Next's (serve sets NEXT_MANUAL_SIG_HANDLE=1): on
// SIGTERM/SIGINT the workers stop taking work, the deliveries and inbox
// messages in flight finish (their requests time out after 10 s at most),
// the database closes, and only then does the process exit. Work cut off by
// the deadline keeps its lease and is retried after the next start.

const DRAIN_DEADLINE_MS = 7_000;

const g = globalThis as unknown as { moietyWorkers?: AbortController };

export function startWorkers(): void {
  if (g.moietyWorkers) return;
  const controller = new AbortController();
  g.moietyWorkers = controller;
  const running = (async () => {
    await dbReady();
    await Promise.all([
      federation().startQueue(undefined, { signal: controller.signal }),
      startDeliveryWorker({ signal: controller.signal }),
      startPushWorker({ signal: controller.signal }),
    ]);
  })().catch((err) => console.error("workers: stopped with an error:", err));

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    controller.abort();
    const deadline = new Promise((resolve) => setTimeout(resolve, DRAIN_DEADLINE_MS).unref());
    await Promise.race([running, deadline]);
    await db()
      .$disconnect()
      .catch(() => undefined);
    process.exit(signal === "SIGINT" ? 130 : 0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  // `moiety serve` gives us an IPC channel that closes when it dies (see
  // lib/cli/serve.ts): without it we would keep the workers and the database
  // going with nobody in front, next to whatever replaces us.
  if (process.connected) process.once("disconnect", () => void stop("SIGTERM"));
}
