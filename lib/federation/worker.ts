import { setMaxListeners } from "node:events";
import { db, dbReady } from "../db";
import { startDeliveryWorker } from "./outbound/delivery";
import { federation } from "./federation";
import { startPushWorker } from "./outbound/push-delivery";
import { workersOwnedByServe } from "./worker-owner";

// Background work: Fedify's inbox queue, our delivery queue and the push
// queue. `moiety serve` runs them itself once there is work
// (lib/server/lazy-workers.ts); under `next dev` or a bare Next server,
// instrumentation.ts starts them. Nothing starts on import (Next imports
// modules during the build too).
//
// On shutdown the workers stop taking work and the deliveries and inbox
// messages in flight finish (their requests time out after 10 s at most),
// up to a deadline. Work cut off by the deadline keeps its lease and is
// retried after the next start.

const DRAIN_DEADLINE_MS = 7_000;

export type Workers = {
  /** Stop taking work and wait for what is in flight (DRAIN_DEADLINE_MS at most). */
  drain(): Promise<void>;
};

// One set per process, whichever copy of this module asks (see wake-bus.ts).
const g = globalThis as unknown as { moietyWorkers?: Workers };

/** Start the workers in this process, once; later calls return the running set. */
export function runWorkers(): Workers {
  if (g.moietyWorkers) return g.moietyWorkers;
  const controller = new AbortController();
  // Every lane of the three workers (8 + 4 + 2) listens for this one abort; not a leak.
  setMaxListeners(64, controller.signal);
  const running = (async () => {
    await dbReady();
    await Promise.all([
      federation().startQueue(undefined, { signal: controller.signal }),
      startDeliveryWorker({ signal: controller.signal }),
      startPushWorker({ signal: controller.signal }),
    ]);
  })().catch((err) => console.error("workers: stopped with an error:", err));
  const workers: Workers = {
    drain: async () => {
      controller.abort();
      const deadline = new Promise((resolve) => setTimeout(resolve, DRAIN_DEADLINE_MS).unref());
      await Promise.race([running, deadline]);
    },
  };
  g.moietyWorkers = workers;
  return workers;
}

/**
 * instrumentation.ts: run the workers in a Next server of our own (`next dev`,
 * or the standalone server started by hand), which then owns shutdown too:
 * drain, close the database, exit. Under `moiety serve` the serve process does
 * all of this itself.
 */
export function startWorkers(): void {
  if (workersOwnedByServe() || g.moietyWorkers) return;
  const workers = runWorkers();
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    await workers.drain();
    await db()
      .$disconnect()
      .catch(() => undefined);
    process.exit(signal === "SIGINT" ? 130 : 0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
