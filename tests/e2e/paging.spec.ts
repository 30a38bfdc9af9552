import { expect, test } from "@playwright/test";
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { startInstance, type Instance } from "../helpers/instances";
import { Peer, waitForInboxIdle, type PeerActor } from "../helpers/peer";
import { expectAccessible, loggedIn, shot } from "./browser";

// More conversations and messages than one page holds (50 of each), written
// straight into a running instance's database the way the app writes them,
// then read through the UI: older pages of the list (per folder), earlier
// messages of a thread, and a search hit far back in a thread.

const INBOX_CONVERSATIONS = 55;
const ARCHIVED_CONVERSATIONS = 52;
const THREAD_MESSAGES = 120;
/** The message (0 = oldest) holding the word only it has: far older than the newest page. */
const NEEDLE_AT = 40;
const NEEDLE = "pineapplezebra";

let carol: Instance;
let peer: Peer;
let pat: PeerActor;
let quinn: PeerActor;
let longThread: string;

/** ISO-8601 the way Prisma stores DateTime in SQLite here. */
const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00");
let idCounter = 0;
const newId = (ms: number) => ms.toString(36) + (idCounter++).toString(16).padStart(4, "0") + randomBytes(6).toString("hex");

/** What the inbox listener and the send path write for a conversation and its messages (lib/domain/conversations.ts). */
function seed(instance: Instance) {
  const db = new Database(path.join(instance.dataDir, "moiety.db"));
  db.pragma("busy_timeout = 5000");
  const insActor = db.prepare(
    `INSERT INTO RemoteActor (id, handle, name, host, inbox, sharedInbox, url, iconUrl, followersUrl, gone, fetchedAt) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?, 0, ?)`,
  );
  const insConv = db.prepare(`INSERT INTO Conversation (id, participantKey, lastMessageAt, unreadCount, isRequest, archived, createdAt) VALUES (?, ?, ?, 0, 0, ?, ?)`);
  const insPart = db.prepare(`INSERT INTO ConversationParticipant (conversationId, actorId) VALUES (?, ?)`);
  const insRef = db.prepare(`INSERT INTO ConversationRef (uri, conversationId) VALUES (?, ?)`);
  const insMsg = db.prepare(
    `INSERT INTO Message (id, conversationId, objectId, direction, authorId, inReplyTo, html, text, summary, attachments, objectJson, published, updated, deletedAt, createdAt)
     VALUES (?, ?, ?, 'in', ?, NULL, ?, ?, NULL, '[]', NULL, ?, NULL, NULL, ?)`,
  );
  const now = Date.now();
  const host = new URL(pat.id).host;
  const conversation = (actor: string, name: string, at: number, archived: boolean, texts: string[], spacing: number) => {
    insActor.run(actor, `@${actor.split("/").at(-1)}@${new URL(actor).host}`, name, new URL(actor).host, `${actor}/inbox`, actor, `${actor}/followers`, iso(now));
    const id = newId(at);
    const first = at - (texts.length - 1) * spacing;
    insConv.run(id, actor, iso(at), archived ? 1 : 0, iso(first));
    insPart.run(id, actor);
    insRef.run(`${instance.url}/contexts/${id}`, id);
    // In published order, as they would have arrived: rowids follow, and search orders by them.
    texts.forEach((text, k) => {
      const published = first + k * spacing;
      const mid = newId(published);
      insMsg.run(mid, id, `${actor}/statuses/${mid}`, actor, `<p>${text}</p>`, text, iso(published), iso(published));
    });
    return id;
  };
  db.transaction(() => {
    // Folder entries "Inbox 00" (newest) … "Inbox 54" (oldest), a minute apart, an hour or more ago.
    for (let i = 0; i < INBOX_CONVERSATIONS; i++) {
      const n = String(i).padStart(2, "0");
      conversation(`https://${host}/users/in${n}`, `Inbox ${n}`, now - 3600_000 - i * 60_000, false, [`hello from inbox ${n}`], 1000);
    }
    for (let i = 0; i < ARCHIVED_CONVERSATIONS; i++) {
      const n = String(i).padStart(2, "0");
      conversation(`https://${host}/users/ar${n}`, `Archived ${n}`, now - 3600_000 - i * 60_000, true, [`old news ${n}`], 1000);
    }
    // The long thread is the newest conversation, with Pat, a real peer actor (replies are delivered for real).
    const texts = Array.from({ length: THREAD_MESSAGES }, (_, k) => (k === NEEDLE_AT ? `message ${k} mentions ${NEEDLE}` : `message ${k}`));
    longThread = conversation(pat.id, "Pat", now - 60_000, false, texts, 60_000);
    db.prepare(`UPDATE RemoteActor SET inbox = ?, followersUrl = ?, handle = ? WHERE id = ?`).run(pat.inbox, pat.followers, pat.handle, pat.id);
  })();
  db.close();
}

test.beforeAll(async () => {
  peer = await Peer.start();
  [carol, pat, quinn] = await Promise.all([startInstance("carol"), peer.addActor("pat"), peer.addActor("quinn")]);
  seed(carol);
});
test.afterAll(async () => {
  await Promise.all([carol?.stop(), peer?.close()]);
});

test("the conversation list pages to older conversations, per folder", async ({ browser }) => {
  const page = await loggedIn(browser, carol);
  const list = page.getByRole("list", { name: "Conversations" });
  await expect(list.getByRole("listitem")).toHaveCount(50);
  await expect(list.getByText("Inbox 48", { exact: true })).toBeVisible();
  await expect(list.getByText("Inbox 49", { exact: true })).toHaveCount(0);

  await page.getByRole("link", { name: "Older conversations" }).click();
  await expect(page).toHaveURL(/\/messages\?before=/);
  // Pat's thread and Inbox 00–48 were the first 50; the rest are here, and no "older" beyond them.
  await expect(list.getByRole("listitem")).toHaveCount(INBOX_CONVERSATIONS - 49);
  await expect(list.getByText("Inbox 49", { exact: true })).toBeVisible();
  await expect(list.getByText("Inbox 54", { exact: true })).toBeVisible();
  await expect(list.getByText("Inbox 00", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Older conversations" })).toHaveCount(0);
  await expect(list.getByRole("link").first()).toBeInViewport();
  await shot(page, "paging-list-older");
  await expectAccessible(page, "older conversations");

  // A conversation from an older page opens as usual.
  await list.getByRole("link", { name: /Inbox 52/ }).click();
  await expect(page.getByRole("log", { name: "Messages" }).getByText("hello from inbox 52")).toBeVisible();

  // The archived folder pages within itself.
  await page.goto(carol.url + "/messages?tab=archived");
  await expect(list.getByRole("listitem")).toHaveCount(50);
  await page.getByRole("link", { name: "Older conversations" }).click();
  await expect(page).toHaveURL(/\/messages\?tab=archived&before=/);
  await expect(page.getByRole("navigation", { name: "Conversation folders" }).getByRole("link", { name: "Archived" })).toHaveAttribute("aria-current", "page");
  await expect(list.getByRole("listitem")).toHaveCount(2);
  await expect(list.getByText("Archived 51", { exact: true })).toBeVisible();
  await page.getByRole("link", { name: "Newest conversations" }).click();
  await expect(page).toHaveURL(/\/messages\?tab=archived$/);
  await expect(list.getByText("Archived 00", { exact: true })).toBeVisible();

  // On a phone, the older page fits.
  const phone = await loggedIn(browser, carol, { width: 360 });
  await phone.goto(carol.url + "/messages");
  await phone.getByRole("link", { name: "Older conversations" }).scrollIntoViewIfNeeded();
  await shot(phone, "paging-list-360");
  await phone.getByRole("link", { name: "Older conversations" }).click();
  await expect(phone.getByText("Inbox 54", { exact: true })).toBeVisible();
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await shot(phone, "paging-list-older-360");
  await phone.context().close();
  await page.context().close();
});

test("a thread loads earlier messages; live updates and replies still work there", async ({ browser }) => {
  const page = await loggedIn(browser, carol);
  await page.goto(`${carol.url}/messages/${longThread}`);
  const log = page.getByRole("log", { name: "Messages" });
  await expect(log.getByText("message 119", { exact: true })).toBeInViewport();
  await expect(log.getByText("message 70", { exact: true })).toHaveCount(1);
  await expect(log.getByText("message 69", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Jump to newest messages" })).toHaveCount(0);

  await log.getByRole("link", { name: "Load earlier messages" }).click();
  await expect(page).toHaveURL(/\?before=/);
  // The page before: 20–69, opened at its newest, which comes right before what was on screen.
  await expect(log.getByText("message 69", { exact: true })).toBeInViewport();
  await expect(log.getByText("message 20", { exact: true })).toHaveCount(1);
  await expect(log.getByText("message 70", { exact: true })).toHaveCount(0);
  await expect(log.getByText("message 19", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Jump to newest messages" })).toBeVisible();
  // The page after this one is the newest page, so there is no separate "Newer messages" step.
  await expect(page.getByRole("link", { name: "Newer messages" })).toHaveCount(0);
  await shot(page, "paging-thread-earlier");
  await expectAccessible(page, "earlier messages");

  // Someone new writes: the open older page refreshes live (the request count appears) and stays where it is.
  const note = { id: `${quinn.id}/statuses/1`, type: "Note", attributedTo: quinn.id, to: [carol.actor], cc: [], content: "<p>Hi from Quinn</p>", published: new Date().toISOString() };
  const res = await peer.post(`${carol.actor}/inbox`, { "@context": "https://www.w3.org/ns/activitystreams", id: `${note.id}/activity`, type: "Create", actor: quinn.id, to: [carol.actor], cc: [], object: note }, quinn);
  expect(res.status).toBe(202);
  await waitForInboxIdle(carol.dataDir);
  await expect(page.getByRole("link", { name: /Requests\s*1/ })).toBeVisible();
  await expect(page).toHaveURL(/\?before=/);
  await expect(log.getByText("message 69", { exact: true })).toBeVisible();

  // The first page: 0–19, nothing earlier.
  await log.getByRole("link", { name: "Load earlier messages" }).click();
  await expect(log.getByText("message 0", { exact: true })).toBeVisible();
  await expect(log.getByText("message 19", { exact: true })).toBeVisible();
  await expect(log.getByRole("link", { name: "Load earlier messages" })).toHaveCount(0);

  // Forward again one page at a time: 0–19 → 20–69.
  await log.getByRole("link", { name: "Newer messages" }).scrollIntoViewIfNeeded();
  await shot(page, "paging-thread-first-page");
  await log.getByRole("link", { name: "Newer messages" }).click();
  await expect(log.getByText("message 20", { exact: true })).toBeVisible();
  await expect(log.getByText("message 69", { exact: true })).toBeVisible();
  await expect(log.getByText("message 19", { exact: true })).toHaveCount(0);
  await expect(log.getByText("message 70", { exact: true })).toHaveCount(0);
  await log.getByRole("link", { name: "Load earlier messages" }).click();
  await expect(log.getByText("message 0", { exact: true })).toBeVisible();

  // A reply from an older page goes out and shows where it lands: the newest page.
  await page.getByLabel("Write a message").fill("Replying from the past");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page).toHaveURL(new RegExp(`/messages/${longThread}$`));
  await expect(log.getByText("Replying from the past")).toBeInViewport();
  await expect(log.locator("[data-delivery-state=delivered]")).toBeVisible();
  await expect(log.getByText("message 119", { exact: true })).toBeVisible();

  // Back to an older page, then to the newest by its link.
  await log.getByRole("link", { name: "Load earlier messages" }).click();
  await page.getByRole("link", { name: "Jump to newest messages" }).click();
  await expect(page).toHaveURL(new RegExp(`/messages/${longThread}$`));
  await expect(log.getByText("Replying from the past")).toBeVisible();

  // At 360 px the links fit.
  await page.setViewportSize({ width: 360, height: 740 });
  await log.getByRole("link", { name: "Load earlier messages" }).click();
  await expect(log.getByText("message 69", { exact: true })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await shot(page, "paging-thread-earlier-360");
  await log.getByRole("link", { name: "Load earlier messages" }).scrollIntoViewIfNeeded();
  await shot(page, "paging-thread-earlier-top-360");
  await page.context().close();
});

test("a search hit far back in a thread opens the thread at that message", async ({ browser }) => {
  const page = await loggedIn(browser, carol);
  await page.goto(carol.url + "/search?q=" + NEEDLE);
  const results = page.getByRole("list", { name: "Results" });
  await expect(page.getByRole("status")).toHaveText("1 message found, newest first.");
  await results.getByRole("link").first().click();
  await expect(page).toHaveURL(/\?m=/);
  const log = page.getByRole("log", { name: "Messages" });
  const hit = log.getByText(`message ${NEEDLE_AT} mentions ${NEEDLE}`);
  await expect(hit).toBeInViewport();
  // The page is centred on the hit, with earlier and newer messages around it.
  await expect(log.getByText(`message ${NEEDLE_AT - 20}`, { exact: true })).toHaveCount(1);
  await expect(log.getByText(`message ${NEEDLE_AT + 20}`, { exact: true })).toHaveCount(1);
  await expect(log.getByRole("link", { name: "Load earlier messages" })).toHaveCount(1);
  await expect(page.getByRole("link", { name: "Jump to newest messages" })).toBeVisible();
  await shot(page, "paging-search-hit");

  // Many hits come newest first.
  await page.goto(carol.url + "/search?q=message");
  await expect(page.getByRole("status")).toHaveText("The 50 newest matching messages, newest first.");
  await expect(results.getByRole("link").first()).toContainText("message 119");
  await shot(page, "paging-search-newest-first");
  await page.context().close();
});
