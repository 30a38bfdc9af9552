import { waitForWake, wakeUp, wakeVersion } from "../wake-bus";

// The loop of a table-backed worker (deliveries, pushes): each lane claims one
// due row at a time and handles it; with nothing due it sleeps until this
// process signals new work on `channel` or the poll interval passes (rows
// queued by another process, such as the CLI, wake no one here).

export type LaneOptions<Row extends { id: number }> = {
  /** What the rows are, for log lines ("delivery", "push"). */
  name: string;
  channel: string;
  concurrency: number;
  pollIntervalMs: number;
  signal: AbortSignal;
  /** Claim the next due row (atomically: of two lanes or processes one gets it), or null. */
  claim: () => Promise<Row | null>;
  /** Handle a claimed row; a throw is only bookkeeping failing: the lease runs out and the row is tried again. */
  handle: (row: Row) => Promise<void>;
};

/** Run the lanes until `signal` aborts; resolves once the rows in hand are done. */
export async function runLanes<Row extends { id: number }>(o: LaneOptions<Row>): Promise<void> {
  const lane = async () => {
    while (!o.signal.aborted) {
      const seen = wakeVersion(o.channel);
      let row: Row | null = null;
      try {
        row = await o.claim();
      } catch (error) {
        console.error(`${o.name}: cannot claim a row:`, error instanceof Error ? error.message : error);
      }
      if (row) {
        // There may be more for the other lanes.
        wakeUp(o.channel);
        const claimed = row;
        await o.handle(claimed).catch((error) => console.error(`${o.name} ${claimed.id}: cannot record the result:`, error instanceof Error ? error.message : error));
        continue;
      }
      await waitForWake(o.channel, seen, o.pollIntervalMs, o.signal);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
}
