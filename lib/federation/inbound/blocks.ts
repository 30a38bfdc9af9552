import type Database from "better-sqlite3";
import { blockedSteps } from "../../domain/incoming-store";
import { runSync } from "../../domain/sql-steps";

// Is this sender blocked? Asked for every POST the inbox accepts and every DM
// it applies, and almost always with the same few answers, so they are kept
// in memory until the block list may have changed. Blocks are written by the
// app (Prisma) or the CLI, never through the inbox's own connection, and
// SQLite's `PRAGMA data_version` changes whenever ANOTHER connection commits.
// That pragma costs ~15 µs (it looks at the WAL), so it is asked once per
// event-loop turn: a block committed meanwhile takes effect at the next turn,
// milliseconds later.

const KEPT = 10_000;

type Memo = { version: number; checked: boolean; answers: Map<string, boolean>; versionQuery: Database.Statement<[], number> };
const memos = new WeakMap<Database.Database, Memo>();

function memoOf(db: Database.Database): Memo {
  let memo = memos.get(db);
  if (!memo) {
    memo = { version: -1, checked: false, answers: new Map(), versionQuery: db.prepare("PRAGMA data_version").pluck() as Database.Statement<[], number> };
    memos.set(db, memo);
  }
  if (!memo.checked) {
    memo.checked = true;
    const m = memo;
    setImmediate(() => (m.checked = false));
    const version = memo.versionQuery.get() as number;
    if (version !== memo.version) {
      memo.version = version;
      memo.answers.clear();
    }
  }
  return memo;
}

/** Is this actor (or its whole domain, subdomains included) blocked? */
export function isBlockedOn(db: Database.Database, actorOrUrl: string): boolean {
  const { answers } = memoOf(db);
  let blocked = answers.get(actorOrUrl);
  if (blocked === undefined) {
    blocked = runSync(db, blockedSteps(actorOrUrl));
    if (answers.size >= KEPT) answers.clear();
    answers.set(actorOrUrl, blocked);
  }
  return blocked;
}
