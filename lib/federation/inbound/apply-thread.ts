import { parentPort } from "node:worker_threads";
import { runInboundLoop } from "./worker";
import { closeInboundDb, inboundDb } from "./sqlite";

// The inbox worker's thread (started by inbound-thread.ts): its own SQLite
// connection, which may wait for the write lock by sleeping (nothing else
// runs on this thread), and the loop of worker.ts. The main thread sends
// "wake" after each commit of accepted activities and "stop" at shutdown;
// this thread tells it what each batch did, so the main thread wakes the push
// worker, open pages and Fedify's queue.

const port = parentPort!;
const controller = new AbortController();
let wake: () => void = () => {};
port.on("message", (message: unknown) => {
  if (message === "wake") wake();
  else if (message === "stop") controller.abort();
});

const db = inboundDb({ waitForLockMs: 5_000 });
await runInboundLoop(
  db,
  {
    subscribe: (fn) => {
      wake = fn;
      return () => (wake = () => {});
    },
    report: (result) => port.postMessage({ stored: (result.outcomes.stored ?? 0) > 0, handedOver: (result.outcomes.fedify ?? 0) > 0 }),
  },
  controller.signal,
);
await closeInboundDb();
port.close();
