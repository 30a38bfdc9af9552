import type Database from "better-sqlite3";
import { handToFedify } from "./hand-over";

// How one accepted activity is applied, inside the worker's transaction.
// Synchronous: nothing here may fetch or wait; what needs the network goes to
// Fedify's queue.

export type InboxRow = {
  seq: number;
  activityId: string;
  actorId: string;
  keyId: string;
  recipient: string | null;
  body: string;
  receivedAt: string;
  attempts: number;
};

/** "stored" / "ignored" (applied here), "fedify" (handed to Fedify's queue). */
export type Outcome = "stored" | "ignored" | "fedify";

export function applyActivity(db: Database.Database, row: InboxRow): Outcome {
  handToFedify(db, { activity: JSON.parse(row.body), actorId: row.actorId, recipient: row.recipient });
  return "fedify";
}
