import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { directMessage, Peer, PENDING_INBOX_SQL, waitForInboxIdle, type PeerActor } from "../helpers/peer";
import { isAlive, processTree, startServer } from "../helpers/server";
import { pool } from "./hostile-inbox-wire";

// kill -9 the receiving server in the middle of an incoming burst. The inbox
// answers 202 only after the activity is committed to its SQLite queue, so
// every activity that got a 202 must be stored after a restart — exactly once
// — even if the worker had not got to it. Requests cut off by the kill fail,
// as they would for a real sender, which retries them later.
//
// The Creates carry their Note by reference, and pat's server is slow to hand
// the notes out, so the inbox worker (which fetches them) falls well behind
// the inbox and the kill finds many accepted activities not yet handled.

const COUNT = 400;
const CONCURRENCY = 16;
/** Accepted activities before the kill: enough that the worker is behind, well short of all. */
const KILL_AFTER = 120;
const NOTE_FETCH_MS = 150;

let alice: Instance;
let peer: Peer;
let pat: PeerActor;

beforeAll(async () => {
  peer = await Peer.start();
  [alice, pat] = await Promise.all([startInstance("alice"), peer.addActor("pat")]);
  peer.documentDelayMs = NOTE_FETCH_MS;
});
afterAll(async () => {
  await Promise.all([alice?.stop(), peer?.close()]);
});

function query<T>(sql: string): T[] {
  const db = new Database(path.join(alice.dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

type Sent = { noteId: string; status: number | null; error?: string };

describe("crash safety of the inbox", () => {
  it("stores every activity it answered 202 for, exactly once, after kill -9 mid-burst and restart", async () => {
    const noteIds = Array.from({ length: COUNT }, (_, i) => `${pat.id}/statuses/burst-${i}`);
    const creates = noteIds.map((noteId, i) => {
      const create = directMessage(pat, alice.actor, `burst ${i}`, noteId);
      peer.documents.set(new URL(noteId).pathname, { "@context": create["@context"], ...create.object });
      return { ...create, object: noteId };
    });
    // Half to the personal inbox, half to the shared one: both enqueue the same way.
    const inboxFor = (i: number) => (i % 2 === 0 ? `${alice.actor}/inbox` : `${alice.url}/inbox`);

    let accepted = 0;
    let crashing: Promise<void> | null = null;
    let pendingAtCrash = -1;
    const results = await pool(
      noteIds.map((noteId, i) => async (): Promise<Sent> => {
        try {
          const res = await peer.post(inboxFor(i), creates[i], pat);
          if (res.status === 202 && ++accepted === KILL_AFTER) {
            crashing ??= alice.crash().then(() => {
              pendingAtCrash = query<{ n: number }>(PENDING_INBOX_SQL)[0].n;
            });
          }
          return { noteId, status: res.status };
        } catch (error) {
          return { noteId, status: null, error: (error as NodeJS.ErrnoException).code ?? String(error) };
        }
      }),
      CONCURRENCY,
    );
    await crashing;

    const ok = results.filter((r) => r.status === 202).map((r) => r.noteId);
    const refused = results.filter((r) => r.status !== null && r.status !== 202);
    // The kill cut the burst short; everything before it was well-formed and accepted.
    expect(ok.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(ok.length).toBeLessThan(COUNT);
    expect(refused.filter((r) => r.status! < 500), JSON.stringify(refused.slice(0, 5))).toEqual([]);
    // The worker was far behind: the restart has real work left over.
    expect(pendingAtCrash).toBeGreaterThan(KILL_AFTER / 4);

    const restarted = await startServer({ dataDir: alice.dataDir, origin: alice.url, env: { PORT: String(alice.port) } });
    alice = { ...alice, ...restarted };
    await waitForInboxIdle(alice.dataDir, 180_000);

    const stored = query<{ objectId: string; n: number }>(
      `SELECT "objectId", count(*) AS n FROM "Message" WHERE "direction" = 'in' GROUP BY "objectId"`,
    );
    const storedIds = new Set(stored.map((m) => m.objectId));
    expect(ok.filter((id) => !storedIds.has(id))).toEqual([]);
    expect(stored.filter((m) => m.n !== 1)).toEqual([]);
    // Requests the kill cut off may or may not have been committed; nothing else appears.
    expect(stored.filter((m) => !noteIds.includes(m.objectId))).toEqual([]);
  }, 300_000);

  it("nothing outlives a kill -9 of `moiety serve`: the app server is the same process", async () => {
    const tree = processTree(alice.process.pid!);
    expect(tree).toEqual([alice.process.pid]);
    process.kill(tree[0], "SIGKILL");
    await eventually(async () => !isAlive(tree[0]), "`moiety serve` to be gone", 30_000);
  });
});
