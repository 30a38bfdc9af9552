#!/usr/bin/env node
// Fast seeder: fills a Moiety data dir (made by `moiety setup`, so the schema
// and the FTS5 triggers are the real ones) with C conversations and M
// messages straight through better-sqlite3: one transaction, prepared
// statements, rows inserted in batches. One conversation gets exactly
// --thread messages (the "big thread" the UI benchmark opens); the others
// share the rest. Outgoing messages get a delivered Delivery row per
// recipient, as the app would have left them.
//
//   node scripts/bench/seed.mjs [--conversations 10000] [--messages 1000000] [--thread 1000] [--data-dir DIR]
//
// Prints one JSON line: { dataDir, port, origin, bigThread, conversations, messages, rareWord, commonWord, seconds }.

import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { prepareInstance } from "./lib/moiety.mjs";
import { parseArgs } from "./lib/report.mjs";

export const SEED_DEFAULTS = { conversations: 10_000, messages: 1_000_000, thread: 1000, dataDir: "", port: 0 };

// A deterministic PRNG so two runs seed the same words.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = "ka lo mi ne ru sa ti vo be da fe gi ho ju ke la mo nu pe qui ro si tu va we xe yo za".split(" ");
/** A vocabulary of pseudo-words; picked with a Zipf-like skew so some words are common and most are rare. */
function vocabulary(random, size) {
  const words = new Set(["hello", "thanks", "tomorrow", "meeting", "coffee", "photo", "weekend", "project", "dinner", "train"]);
  while (words.size < size) {
    const n = 2 + Math.floor(random() * 3);
    let w = "";
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

/** ISO-8601 as Prisma writes DateTime on SQLite here: 2026-11-27T00:38:50.465+00:00 */
function iso(ms) {
  return new Date(ms).toISOString().replace("Z", "+00:00");
}

export async function seed(options = {}) {
  const o = { ...SEED_DEFAULTS, ...options };
  const started = performance.now();
  const inst = await prepareInstance({ dataDir: o.dataDir || undefined, port: o.port || undefined });
  const db = new Database(path.join(inst.dataDir, "moiety.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF"); // this connection only; a crash mid-seed just means seeding again
  db.pragma("cache_size = -262144"); // 256 MiB
  db.pragma("temp_store = MEMORY");

  const random = rng(7);
  const words = vocabulary(random, 5000);
  const pickWord = () => words[Math.floor(words.length * random() ** 3)]; // skewed toward the first words
  const RARE = "zebracorn"; // in about one message in 20,000
  const owner = inst.actor;
  const now = Date.now();
  const span = 2 * 365 * 24 * 3600_000; // two years of history
  let idCounter = 0;
  const newId = (ms) => ms.toString(36) + (idCounter++).toString(16).padStart(8, "0") + randomBytes(4).toString("hex");

  const insActor = db.prepare(
    `INSERT INTO RemoteActor (id, handle, name, host, inbox, sharedInbox, url, iconUrl, followersUrl, gone, fetchedAt)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, 0, ?)`,
  );
  const insConv = db.prepare(
    `INSERT INTO Conversation (id, participantKey, lastMessageAt, unreadCount, isRequest, archived, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insPart = db.prepare(`INSERT INTO ConversationParticipant (conversationId, actorId) VALUES (?, ?)`);
  const insRef = db.prepare(`INSERT INTO ConversationRef (uri, conversationId) VALUES (?, ?)`);
  const insMsg = db.prepare(
    `INSERT INTO Message (id, conversationId, objectId, direction, authorId, inReplyTo, html, text, summary, attachments, objectJson, published, updated, deletedAt, createdAt)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, '[]', ?, ?, NULL, NULL, ?)`,
  );
  const insDelivery = db.prepare(
    `INSERT INTO Delivery (activityId, body, inbox, recipient, messageId, state, attempts, nextAttemptAt, lockedUntil, lastStatus, lastError, createdAt, updatedAt)
     VALUES (?, ?, ?, ?, ?, 'delivered', 1, ?, NULL, 202, NULL, ?, ?)`,
  );

  const C = o.conversations;
  const M = o.messages;
  const big = Math.min(o.thread, M);
  // Messages per conversation: the big thread first, the rest spread evenly.
  const perConv = Array.from({ length: C }, (_, i) => (i === 0 ? big : Math.floor((M - big) / (C - 1)) + (i - 1 < (M - big) % (C - 1) ? 1 : 0)));
  let commonWordCount = 0;
  let rareCount = 0;

  // Bulk load the way SQLite likes it: secondary indexes and the FTS5 triggers
  // go first and come back afterwards from their own saved SQL (so the schema
  // ends exactly as the migrations made it), and the search index is rebuilt
  // in one pass. Several times faster than maintaining them row by row.
  const tables = ["Message", "Delivery", "Conversation", "ConversationParticipant", "ConversationRef", "RemoteActor"];
  const saved = db
    .prepare(`SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => "?").join(", ")})`)
    .all(...tables);
  for (const x of saved) db.exec(`DROP ${x.type === "index" ? "INDEX" : "TRIGGER"} "${x.name}"`);

  const run = db.transaction(() => {
    let msgCount = 0;
    for (let c = 0; c < C; c++) {
      const host = `peer${c % 97}.example`;
      // Every 25th conversation is a group of three people.
      const people = c % 25 === 0 && c > 0 ? [0, 1, 2].map((k) => `https://${host}/users/p${c}_${k}`) : [`https://${host}/users/p${c}`];
      for (const id of people) {
        const name = id.split("/").at(-1);
        insActor.run(id, `@${name}@${host}`, `Person ${name}`, host, `${id}/inbox`, `https://${host}/inbox`, id, `${id}/followers`, iso(now));
      }
      const convId = `c${c.toString(36).padStart(6, "0")}${randomBytes(6).toString("hex")}`;
      const n = perConv[c];
      // Each conversation's messages sit in a window that ends at a random time in the two years.
      const end = now - Math.floor(random() * span);
      const gap = 60_000 + Math.floor(random() * 3600_000);
      const first = end - n * gap;
      const isRequest = c % 50 === 7 ? 1 : 0;
      const archived = c % 40 === 3 ? 1 : 0;
      insConv.run(convId, [...people].sort().join(" "), iso(end), c % 9 === 0 ? 3 : 0, isRequest, archived, iso(first));
      for (const id of people) insPart.run(convId, id);
      insRef.run(`${inst.origin}/contexts/${convId}`, convId);
      let prevObject = null;
      for (let k = 0; k < n; k++) {
        const published = first + k * gap;
        const out = random() < 0.5;
        const author = out ? owner : people[k % people.length];
        const len = 4 + Math.floor(random() * 24);
        const ws = [];
        for (let w = 0; w < len; w++) ws.push(pickWord());
        if (msgCount % 20_000 === 11) {
          ws.push(RARE);
          rareCount++;
        }
        if (ws.includes("coffee")) commonWordCount++;
        const text = ws.join(" ");
        const html = `<p>${text}</p>`;
        const id = newId(published);
        const objectId = out ? `${owner}/notes/${id}` : `${author}/statuses/${id}`;
        const note = out
          ? JSON.stringify({ "@context": ["https://www.w3.org/ns/activitystreams"], id: objectId, type: "Note", attributedTo: owner, to: people, cc: [], content: html, published: iso(published), context: `${inst.origin}/contexts/${convId}` })
          : null;
        insMsg.run(id, convId, objectId, out ? "out" : "in", author, prevObject, html, text, note, iso(published), iso(published));
        if (out) {
          const body = JSON.stringify({ "@context": ["https://www.w3.org/ns/activitystreams"], id: `${objectId}/activity`, type: "Create", actor: owner, to: people, cc: [], object: JSON.parse(note) });
          for (const p of people) insDelivery.run(`${objectId}/activity`, body, `${p}/inbox`, p, id, iso(published), iso(published), iso(published + 800));
        }
        prevObject = objectId;
        msgCount++;
      }
      if (c % 1000 === 999) process.stderr.write(`[seed] ${c + 1}/${C} conversations, ${msgCount} messages, ${Math.round((performance.now() - started) / 1000)} s\n`);
    }
    return msgCount;
  });
  const messages = run();
  const reindex = performance.now();
  db.transaction(() => {
    for (const x of saved.filter((x) => x.type === "index")) db.exec(x.sql);
    db.exec(`INSERT INTO "MessageSearch"("MessageSearch") VALUES ('rebuild')`);
    for (const x of saved.filter((x) => x.type === "trigger")) db.exec(x.sql);
  })();
  process.stderr.write(`[seed] indexes and search index rebuilt in ${Math.round((performance.now() - reindex) / 1000)} s\n`);
  db.pragma("wal_checkpoint(TRUNCATE)");
  // No ANALYZE: a real instance never gathers statistics, so neither does the benchmark's.
  const bigThread = db.prepare("SELECT conversationId AS id, count(*) AS n FROM Message GROUP BY conversationId ORDER BY n DESC LIMIT 1").get();
  db.close();
  const info = {
    ...inst,
    bigThread: bigThread.id,
    bigThreadMessages: bigThread.n,
    conversations: C,
    messages,
    rareWord: RARE,
    rareCount,
    commonWord: "coffee",
    commonWordCount,
    seconds: (performance.now() - started) / 1000,
  };
  // Lets `ui.mjs --reuse DIR` measure again without seeding again.
  fs.writeFileSync(path.join(inst.dataDir, "bench-seed.json"), JSON.stringify(info, null, 2));
  return info;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = parseArgs(process.argv.slice(2), SEED_DEFAULTS);
  console.log(JSON.stringify(await seed(o)));
}
