import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { handedToFedify, inboxStored, onInboxCommitted } from "./signal";
import { checkpointOffThread, inboundDb } from "./sqlite";
import { runInboundLoop } from "./worker";

// Starts the inbox worker on a thread of its own (apply-thread.ts). Applying
// a DM (reading, sanitising, five or six SQL writes) costs about as much CPU
// as accepting it, so on the main thread it halved what the inbox could take
// in; on its own thread it uses the second core. Crash safety is the
// database's: a batch is one transaction whether or not the thread dies.
// Should the thread not start, the loop runs on the main thread instead.

/** How often, before the thread has started, the table is looked at for rows another process wrote. */
const POLL_MS = 2_000;

/** The thread's module: compiled next to this code by the build (.next/cli), or the TypeScript source under tsx. */
function threadEntry(): { url: URL; execArgv: string[] } {
  if (!import.meta.url.endsWith(".ts")) return { url: new URL("./apply-thread.mjs", import.meta.url), execArgv: [] };
  // tsx's loader by absolute path: the working directory may be Next's standalone folder by then.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { url: new URL("./apply-thread.ts", import.meta.url), execArgv: ["--import", tsx] };
}

function runOnMainThread(signal?: AbortSignal): Promise<void> {
  return runInboundLoop(
    inboundDb(),
    {
      subscribe: onInboxCommitted,
      report: (result) => {
        if (result.outcomes.stored) inboxStored();
        if (result.outcomes.fedify) handedToFedify();
      },
    },
    signal,
  );
}

/**
 * Run until `signal` aborts; resolves once the batch in progress has committed
 * and the thread has ended. The thread (and the checkpoint thread, sqlite.ts)
 * start with the first accepted activity, or at once when some wait from
 * before a restart: an instance that receives nothing keeps ~40 MB less.
 */
export function startInboundWorker(options: { signal?: AbortSignal } = {}): Promise<void> {
  return new Promise((resolve) => {
    let started = false;
    const pending = inboundDb().prepare(`SELECT 1 FROM "InboxActivity" WHERE "doneAt" IS NULL LIMIT 1`);
    const start = () => {
      if (started || options.signal?.aborted) return;
      started = true;
      offFirst();
      clearInterval(poll);
      checkpointOffThread();
      void runThread(options).then(resolve);
    };
    const offFirst = onInboxCommitted(start);
    // Rows written by another process (a restored backup, a test) are found as the worker's own poll would find them.
    const poll = setInterval(() => {
      if (pending.get()) start();
    }, POLL_MS);
    options.signal?.addEventListener("abort", () => {
      if (started) return;
      offFirst();
      clearInterval(poll);
      resolve();
    });
    if (pending.get()) start();
  });
}

function runThread(options: { signal?: AbortSignal }): Promise<void> {
  const { url, execArgv } = threadEntry();
  let worker: Worker;
  try {
    worker = new Worker(url, { execArgv });
  } catch (error) {
    console.error("inbox worker: no thread of its own, running on the main thread:", error);
    return runOnMainThread(options.signal);
  }
  const off = onInboxCommitted(() => worker.postMessage("wake"));
  worker.on("message", (m: { stored?: boolean; handedOver?: boolean }) => {
    if (m.stored) inboxStored();
    if (m.handedOver) handedToFedify();
  });
  const stop = () => worker.postMessage("stop");
  options.signal?.addEventListener("abort", stop);
  return new Promise<void>((resolve) => {
    let failed = false;
    worker.on("error", (error) => {
      failed = true;
      console.error("inbox worker: its thread failed, running on the main thread from now on:", error);
    });
    worker.on("exit", () => {
      off();
      options.signal?.removeEventListener("abort", stop);
      if (failed && !options.signal?.aborted) void runOnMainThread(options.signal).then(resolve);
      else resolve();
    });
  });
}
