import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { databasePath } from "../../env";

// WAL checkpoints on a thread of their own. SQLite runs a checkpoint inside
// the commit that pushes the WAL past 1,000 pages, on the committing thread:
// with the inbox and its worker on the event loop, that commit (and every
// answer waiting behind it) would stall for the time it takes to copy ~4 MB
// into the database file and fsync it. The serve process's connection
// (sqlite.ts) turns automatic checkpoints off and this thread, with its own
// connection, checkpoints PASSIVE-ly (never waiting for readers or writers)
// every quarter second. Should the thread fail, the connection gets its
// automatic checkpoints back, so the WAL cannot grow without end.

const INTERVAL_MS = 250;

// Runs in the thread: CommonJS, given the resolved path of better-sqlite3 (the
// process's working directory may be Next's standalone folder by then).
const THREAD_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 0 });
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => {
  try { checkpoint.get(); } catch (error) { if (!String(error && error.code).startsWith("SQLITE_BUSY")) throw error; }
}, workerData.interval);
parentPort.on("message", () => { clearInterval(timer); try { checkpoint.get(); } catch {} db.close(); process.exit(0); });
`;

export type Checkpointer = { stop: () => Promise<void> };

export function startCheckpointer(onFailure: (error: Error) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { driver, file: databasePath(), interval: INTERVAL_MS } });
  let stopping = false;
  worker.on("error", (error) => {
    console.error("database checkpoints: the thread failed; SQLite checkpoints on its own again:", error.message);
    onFailure(error);
  });
  worker.on("exit", (code) => {
    if (!stopping && code !== 0) onFailure(new Error(`checkpoint thread exited with ${code}`));
  });
  return {
    stop: () => {
      stopping = true;
      return new Promise((resolve) => {
        worker.once("exit", () => resolve());
        worker.postMessage("stop");
        setTimeout(() => void worker.terminate(), 2_000).unref();
      });
    },
  };
}
