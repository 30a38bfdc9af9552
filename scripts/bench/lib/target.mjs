// The inbox a benchmark aims at: a fresh Moiety started here (`moiety setup`
// + `moiety serve`), or any server already listening on loopback (--target
// URL), measured the same way. "Stored" is what the server has durably kept:
// for Moiety the incoming rows of its Message table; for another server a
// read-only SQL count (--stored-sql, --db) or a shell command printing a
// number (--stored-cmd). --pid names the root of the server's process tree
// for CPU and memory (lib/proctree.mjs); without it those figures are left out.

import { exec } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { prepareInstance, serve, sleep } from "./moiety.mjs";

const run = promisify(exec);

/** Options every inbox-shaped benchmark takes (merged into its defaults). */
export const TARGET_DEFAULTS = { target: "", recipient: "", pid: 0, storedSql: "", db: "", storedCmd: "", inbox: "shared", nodeOptions: "", nodeArgs: "", serverLog: "" };

/** The incoming DMs Moiety has stored, from its data dir (read-only connection). */
export function moietyStoredCounter(dataDir) {
  return sqlCounter(path.join(dataDir, "moiety.db"), "SELECT count(*) FROM Message WHERE direction = 'in'");
}

function sqlCounter(file, sql) {
  let db = null;
  let stmt = null;
  return {
    async count() {
      // The file may appear only once the server has started.
      db ??= new Database(file, { readonly: true, fileMustExist: true });
      stmt ??= db.prepare(sql).pluck();
      return Number(stmt.get());
    },
    close: () => db?.close(),
  };
}

function cmdCounter(cmd) {
  return {
    async count() {
      const { stdout } = await run(cmd, { shell: "/bin/sh", maxBuffer: 1 << 20 });
      const n = Number(stdout.trim().split(/\s+/).at(-1));
      if (!Number.isFinite(n)) throw new Error(`--stored-cmd printed no number: ${stdout.slice(0, 200)}`);
      return n;
    },
    close() {},
  };
}

/** The actor an inbox belongs to, when its URL says (…/users/NAME/inbox → …/users/NAME). */
function recipientOf(inboxUrl) {
  const u = new URL(inboxUrl);
  const m = /^(.*\/[^/]+)\/inbox\/?$/.exec(u.pathname);
  return m ? `${u.origin}${m[1]}` : "";
}

/**
 * Open the target: { inboxUrl, recipient, host, port, rootPid (0: unknown),
 * stored: { count(), close() } | null, moiety?: { inst, server }, close() }.
 */
export async function openTarget(o, log = () => {}) {
  if (o.target) {
    const u = new URL(o.target);
    const recipient = o.recipient || recipientOf(o.target);
    if (!recipient) throw new Error("--target is a shared inbox: say whose it is with --recipient ACTOR_URL");
    const stored = o.storedSql ? sqlCounter(o.db, o.storedSql) : o.storedCmd ? cmdCounter(o.storedCmd) : null;
    if (o.storedSql && !o.db) throw new Error("--stored-sql needs --db FILE");
    if (!stored) log("no --stored-sql/--stored-cmd: only what was accepted can be reported");
    if (!o.pid) log("no --pid: server CPU and memory are not measured");
    return {
      inboxUrl: o.target,
      recipient,
      host: u.hostname,
      port: Number(u.port || 80),
      rootPid: Number(o.pid) || 0,
      stored,
      close: async () => stored?.close(),
    };
  }
  const inst = await prepareInstance();
  const env = { ...(o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {}), ...o.env };
  const t = {
    inboxUrl: o.inbox === "personal" ? `${inst.actor}/inbox` : `${inst.origin}/inbox`,
    recipient: inst.actor,
    host: "127.0.0.1",
    port: inst.port,
    stored: moietyStoredCounter(inst.dataDir),
    moiety: { inst, server: null, env },
    /** (Re)start `moiety serve` on the same data dir and port. */
    async start() {
      t.moiety.server = await serve({ ...inst, env, nodeArgs: o.nodeArgs, log: o.serverLog });
      t.rootPid = t.moiety.server.process.pid;
      return t.moiety.server;
    },
    async close() {
      t.stored.close();
      await t.moiety.server?.stop();
    },
  };
  await t.start();
  log(`moiety serve healthy in ${Math.round(t.moiety.server.readyMs)} ms (${inst.dataDir})`);
  return t;
}

/** Poll `stored.count()` until it reaches `target`, or nothing new for `idleMs`; returns { at, count } (at: null if short). */
export async function waitForStored(stored, target, { idleMs = 30_000, everyMs = 25 } = {}) {
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const n = await stored.count();
    const now = performance.now();
    if (n >= target) return { at: now, count: n };
    if (n !== last) [last, lastChange] = [n, now];
    if (now - lastChange > idleMs) return { at: null, count: n };
    await sleep(everyMs);
  }
}
