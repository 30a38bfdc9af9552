import { onHandedToFedify } from "../federation/inbound/signal";
import { inboundDb, sqlTime } from "../federation/inbound/sqlite";
import { onAnyWake, wakeUp } from "../federation/wake-bus";
import { claimWorkersForServe } from "../federation/worker-owner";
import type { Workers } from "../federation/worker";

// The workers (Fedify's inbox queue, deliveries, pushes) bring Fedify and
// Prisma with them: tens of MB that an instance with nothing to send or
// process never needs. `moiety serve` loads them the first time there is work
// — due rows in their tables (queued by this process or by a CLI command, a
// separate process: `moiety dm send`), or a wake-up in this process (a server
// action queueing a delivery, the fast inbox handing an activity to Fedify) —
// and keeps them from then on. Their own polling takes over once they run.

/** How often the tables are checked while the workers are not loaded. */
const POLL_MS = 2_000;

/** Fedify's inbox queue (lib/federation/federation.ts; hand-over.ts writes to it). */
const FEDIFY_INBOX_QUEUE = "inbox";

const DUE_SQL = `SELECT (
  EXISTS (SELECT 1 FROM "QueueMessage" WHERE "availableAt" <= @now)
  OR EXISTS (SELECT 1 FROM "Delivery" WHERE "state" = 'queued' AND "nextAttemptAt" <= @now)
  OR EXISTS (SELECT 1 FROM "PushDelivery" WHERE "nextAttemptAt" <= @now)
) AS due`;

export type LazyWorkers = {
  loaded: () => boolean;
  /** Stop watching; drain the workers if they run. */
  stop: () => Promise<void>;
};

export function startLazyWorkers(): LazyWorkers {
  claimWorkersForServe();
  let loading: Promise<Workers | undefined> | undefined;
  let stopped = false;
  const due = inboundDb().prepare(DUE_SQL).pluck();
  const poll = setInterval(() => check(), POLL_MS);
  const offWake = onAnyWake((channel) => load(`work queued on ${channel}`));
  // The fast inbox's worker committed rows to Fedify's queue: wake its listener (and so load it).
  const offHanded = onHandedToFedify(() => wakeUp(FEDIFY_INBOX_QUEUE));

  function load(reason: string): void {
    if (loading || stopped) return;
    clearInterval(poll);
    console.log(`Starting the federation workers (${reason}).`);
    loading = import("../federation/worker")
      .then((m) => m.runWorkers())
      .catch((err) => {
        console.error("workers: could not be loaded:", err);
        return undefined;
      });
  }

  function check(): void {
    try {
      if (due.get({ now: sqlTime(new Date()) })) load("queued work in the database");
    } catch (err) {
      console.error("workers: could not look for queued work:", err instanceof Error ? err.message : err);
    }
  }

  check();
  return {
    loaded: () => loading !== undefined,
    stop: async () => {
      stopped = true;
      clearInterval(poll);
      offWake();
      offHanded();
      const workers = await loading;
      await workers?.drain();
    },
  };
}
