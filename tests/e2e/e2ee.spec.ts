import { expect, test, type Browser, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { Peer } from "../helpers/peer";
import { expectAccessible, loggedIn as logInBrowser, shot } from "./browser";

// A real 2×2 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

// End-to-end encryption (issue 16, docs/E2EE.md) between two real instances:
// each browser context is one of an owner's devices, with its own keys in its
// own IndexedDB. The servers carry MLS ciphertext only; the test ends by
// reading both servers' files for the words that were said.

let alice: Instance;
let bob: Instance;
let peer: Peer;

test.beforeAll(async () => {
  [alice, bob, peer] = await Promise.all([startInstance("alice"), startInstance("bob"), Peer.start()]);
});
test.afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop(), peer?.close()]);
});

const pageErrors: string[] = [];

function loggedIn(browser: Browser, who: Instance): Promise<Page> {
  return logInBrowser(browser, who, {
    watch: (page) => {
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
      });
    },
  });
}

/** A PNG of random pixels: it does not compress, so it is width × height × 3 bytes. */
function noisePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) crypto.randomFillSync(rows, y * (width * 3 + 1) + 1, width * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", zlib.deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

function sqlite(who: Instance, sql: string, ...args: unknown[]): any[] {
  const db = new Database(path.join(who.dataDir, "moiety.db"));
  try {
    return db.prepare(sql).all(...args);
  } finally {
    db.close();
  }
}

/** The devices a server has registered for its owner. */
const devices = (who: Instance) => sqlite(who, `SELECT "id" FROM "MlsDevice"`).length;

/** Every file of the data dir (the database, its WAL, uploads, logs…), as bytes. */
function dataDirBytes(dir: string): { file: string; bytes: Buffer }[] {
  const out: { file: string; bytes: Buffer }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, bytes: fs.readFileSync(file) });
  }
  return out;
}

function filesContaining(dir: string, secrets: string[]): string[] {
  const hits: string[] = [];
  for (const { file, bytes } of dataDirBytes(dir)) {
    for (const s of secrets) {
      // UTF-8 and UTF-16 (SQLite may keep either), and as the HTML the app data carries.
      if (bytes.includes(Buffer.from(s, "utf8")) || bytes.includes(Buffer.from(s, "utf16le"))) hits.push(`${file}: ${s}`);
    }
  }
  return hits;
}

test("an end-to-end encrypted conversation between two Moiety servers", async ({ browser }) => {
  test.setTimeout(300_000);
  const a = await loggedIn(browser, alice);
  const b = await loggedIn(browser, bob);
  await b.goto(bob.url + "/messages?tab=requests");
  // Opening Moiety makes each browser a device: keys made here, KeyPackages published.
  await eventually(async () => devices(alice) === 1 && devices(bob) === 1, "both browsers registered as devices");
  const bobActor = await (await fetch(bob.actor, { headers: { accept: "application/activity+json" } })).json();
  expect(bobActor.keyPackages).toBe(`${bob.actor}/key_packages`);

  // Alice writes to Bob; encryption is offered and on.
  await a.getByRole("link", { name: "New message" }).first().click();
  await a.getByLabel("To").fill(bob.actor);
  await a.getByRole("button", { name: "Find" }).click();
  const toggle = a.getByLabel("End-to-end encrypt");
  await expect(toggle).toBeChecked();
  await a.getByLabel("Message").fill("Secret plan: meet at the blue door");
  await shot(a, "e2ee-compose");
  await expectAccessible(a, "e2ee compose");
  await a.getByRole("button", { name: "Send" }).click();
  await expect(a).toHaveURL(/\/messages\/[0-9a-z]+$/);
  const aThread = a.getByRole("log", { name: "Messages" });
  await expect(aThread.getByText("Secret plan: meet at the blue door")).toBeVisible();
  await expect(a.getByText("only your devices and Bob's can read this")).toBeVisible();
  await expect(a.getByText("Readable by:")).toHaveCount(0);
  await expect(aThread.locator("[data-delivery-state=delivered]")).toBeVisible();

  // Bob's browser decrypts it (a request: Alice is a stranger), live.
  await expect(b.getByRole("link", { name: /Alice/ })).toBeVisible({ timeout: 30_000 });
  await b.getByRole("link", { name: /Alice/ }).click();
  const bThread = b.getByRole("log", { name: "Messages" });
  await expect(bThread.getByText("Secret plan: meet at the blue door")).toBeVisible();
  await b.getByRole("button", { name: "Accept" }).click();
  await shot(b, "e2ee-thread-bob");
  await expectAccessible(b, "e2ee thread");

  // Bob replies, encrypted because the conversation is.
  await expect(b.getByPlaceholder("Write an encrypted message…")).toBeVisible();
  await b.getByLabel("Write a message").fill("Blue door it is, at noon");
  await b.getByLabel("Write a message").press("Enter");
  await expect(bThread.getByText("Blue door it is, at noon")).toBeVisible();
  await expect(aThread.getByText("Blue door it is, at noon")).toBeVisible({ timeout: 30_000 });

  // Alice edits her message, then deletes it: both travel encrypted.
  const mine = aThread.locator("li", { hasText: "Secret plan: meet at the blue door" });
  await mine.getByRole("button", { name: "Edit" }).click();
  await a.getByLabel("Edit message").fill("Secret plan: meet at the red door");
  await a.getByRole("button", { name: "Save edit" }).click();
  await expect(bThread.getByText("Secret plan: meet at the red door")).toBeVisible({ timeout: 30_000 });
  await expect(bThread.locator("li", { hasText: "red door" }).getByText("· edited")).toBeVisible();
  await aThread.locator("li", { hasText: "red door" }).getByRole("button", { name: "Delete" }).click();
  await a.getByRole("group", { name: "Confirm delete" }).getByRole("button", { name: "Delete" }).click();
  // A deleted encrypted message leaves both threads (the servers drop its row; the envelope stays ciphertext).
  await expect(bThread.getByText("red door")).toHaveCount(0, { timeout: 30_000 });
  await expect(aThread.getByText("red door")).toHaveCount(0);
  await expect(bThread.locator("li")).toHaveCount(1);

  // A picture travels inside the encrypted message and shows on the other side, with its alt text.
  await a.getByText("Attach image").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: PNG });
  await a.getByLabel("Alt text for image 1").fill("A tiny encrypted square");
  await a.getByRole("button", { name: "Send" }).click();
  const picture = bThread.getByRole("img", { name: "A tiny encrypted square" });
  await expect(picture).toBeVisible({ timeout: 30_000 });
  await expect(picture).toHaveJSProperty("naturalWidth", 2);
  expect(await picture.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
  await expect(aThread.getByRole("img", { name: "A tiny encrypted square" })).toBeVisible();
  // A photo too large to travel as it is (2.4 MB) is redrawn smaller in the browser, as JPEG.
  await b.getByText("Attach image").setInputFiles({ name: "noise.png", mimeType: "image/png", buffer: noisePng(1000, 800) });
  await b.getByLabel("Alt text for image 1").fill("A big noisy photo");
  await b.getByRole("button", { name: "Send" }).click();
  const photo = aThread.getByRole("img", { name: "A big noisy photo" });
  await expect(photo).toBeVisible({ timeout: 30_000 });
  expect(await photo.getAttribute("src")).toMatch(/^data:image\/jpeg;base64,/);
  expect(await photo.evaluate((img: HTMLImageElement) => img.naturalWidth / img.naturalHeight)).toBeCloseTo(1.25, 1);
  await shot(a, "e2ee-pictures");

  // A content warning travels inside the encrypted message too: Bob sees it, the text folded behind it.
  await a.getByRole("button", { name: "Content warning" }).click();
  await a.getByLabel("Content warning", { exact: true }).fill("Surprise party");
  await a.getByLabel("Write a message").fill("Cake hidden in the garage");
  await a.getByLabel("Write a message").press("Enter");
  const warned = bThread.getByText("Content warning: Surprise party");
  await expect(warned).toBeVisible({ timeout: 30_000 });
  await expect(bThread.getByText("Cake hidden in the garage")).toBeHidden();
  await warned.click();
  await expect(bThread.getByText("Cake hidden in the garage")).toBeVisible();
  await shot(b, "e2ee-content-warning");

  // The safety numbers agree on both sides.
  await a.getByRole("link", { name: "Compare safety numbers" }).click();
  const aNumber = await a.locator("[data-safety-number]").first().getAttribute("data-safety-number");
  await b.getByRole("link", { name: "Compare safety numbers" }).click();
  const bNumber = await b.locator("[data-safety-number]").first().getAttribute("data-safety-number");
  expect(aNumber).toMatch(/^\d{60}$/);
  expect(bNumber).toBe(aNumber);
  await shot(b, "e2ee-safety-numbers");

  // A second device for Bob joins and reads what is sent after it joined.
  const b2 = await loggedIn(browser, bob);
  await eventually(async () => devices(bob) === 2, "Bob's second browser registered");
  // Alice's screen adds the devices that appeared: the number changes, and the thread says Bob's devices changed.
  await a.reload();
  await expect(a.locator("[data-safety-number]").first()).not.toHaveAttribute("data-safety-number", aNumber!);
  await a.getByRole("link", { name: "Back to the conversation" }).click();
  await expect(a.getByText("Bob's devices changed since you last compared safety numbers")).toBeVisible();
  await shot(a, "e2ee-key-changed");
  await a.getByRole("button", { name: "Dismiss" }).click();
  await expect(a.getByText("devices changed")).toHaveCount(0);
  await a.getByLabel("Write a message").fill("Welcome to your new phone, Bob");
  await a.getByLabel("Write a message").press("Enter");
  await expect(aThread.getByText("Welcome to your new phone, Bob")).toBeVisible();
  await b2.getByRole("link", { name: /Alice/ }).click();
  const b2Thread = b2.getByRole("log", { name: "Messages" });
  await expect(b2Thread.getByText("Welcome to your new phone, Bob")).toBeVisible({ timeout: 30_000 });
  // What was sent before it joined is said to be unreadable here, never shown as garbage.
  await expect(b2Thread.getByText(/sent before this browser became one of your devices/).first()).toBeVisible();
  await shot(b2, "e2ee-second-device");

  // A tampered ciphertext is refused and shown as undecryptable.
  await b.close();
  await b2.close();
  const lastSeq = () => sqlite(bob, `SELECT max("seq") AS "seq" FROM "MlsEnvelope" WHERE "kind" = 'PrivateMessage'`)[0].seq as number;
  const before = lastSeq();
  await a.getByLabel("Write a message").fill("This one will be tampered with");
  await a.getByLabel("Write a message").press("Enter");
  const tampered = await eventually(async () => {
    const [row] = sqlite(bob, `SELECT "seq", "content" FROM "MlsEnvelope" WHERE "kind" = 'PrivateMessage' AND "seq" > ? ORDER BY "seq" DESC LIMIT 1`, before);
    return row ?? null;
  }, "the new message at Bob's server");
  const bytes = Buffer.from(tampered.content, "base64");
  bytes[bytes.length - 5] ^= 0x01;
  sqlite(bob, `UPDATE "MlsEnvelope" SET "content" = ? WHERE "seq" = ? RETURNING "seq"`, bytes.toString("base64"), tampered.seq);
  const bAgain = await reopen(bob, b);
  await bAgain.getByRole("link", { name: /Alice/ }).click();
  await expect(bAgain.getByRole("log", { name: "Messages" }).getByText(/cannot read this message/).last()).toBeVisible({ timeout: 30_000 });
  await expect(bAgain.getByText("This one will be tampered with")).toHaveCount(0);

  // Settings lists Bob's two devices with their fingerprints; removing the other one takes its KeyPackages away.
  await bAgain.goto(bob.url + "/settings");
  const list = bAgain.getByRole("list", { name: "Encryption devices" });
  await expect(list.getByRole("listitem")).toHaveCount(2);
  await expect(list.getByRole("listitem").filter({ hasText: "this browser" })).toHaveCount(1);
  await expect(list.getByText(/^\d{5}( \d{5}){11}$/)).toHaveCount(2);
  await bAgain.getByRole("heading", { name: "End-to-end encryption" }).scrollIntoViewIfNeeded();
  await shot(bAgain, "e2ee-settings-devices");
  const other = list.getByRole("listitem").filter({ hasNotText: "this browser" });
  await other.getByRole("button", { name: /^Remove the device/ }).click();
  await other.getByRole("button", { name: "Remove", exact: true }).click();
  await expect(list.getByRole("listitem")).toHaveCount(1);
  expect(devices(bob)).toBe(1);

  // Neither server, nor anything it wrote, holds the words.
  const secrets = ["Secret plan", "blue door", "red door", "Blue door it is", "new phone", "tampered with", "Surprise party", "Cake hidden"];
  const exportDir = fs.mkdtempSync(path.join(os.tmpdir(), "moiety-e2ee-export-"));
  for (const who of [alice, bob]) {
    const dir = path.join(exportDir, who.username);
    const r = await who.cli(["export", dir]);
    expect(r.code, r.stderr).toBe(0);
  }
  expect([...filesContaining(alice.dataDir, secrets), ...filesContaining(bob.dataDir, secrets), ...filesContaining(exportDir, secrets)]).toEqual([]);
  // The POST bodies that went out (each server keeps what it delivered) carried MLS, and no words.
  for (const who of [alice, bob]) {
    const bodies = sqlite(who, `SELECT "body" FROM "Delivery"`).map((r) => String(r.body));
    expect(bodies.filter((b) => /"type":"PrivateMessage"/.test(b)).length).toBeGreaterThan(0);
    expect(bodies.filter((b) => secrets.some((w) => b.includes(w)))).toEqual([]);
  }

  // At phone width, the encrypted thread and its lock note still fit and pass the accessibility check.
  await a.setViewportSize({ width: 390, height: 844 });
  await a.goto(alice.url + "/messages");
  await a.getByRole("link", { name: /Bob/ }).first().click();
  await expect(a.getByText("only your devices and Bob's can read this")).toBeVisible();
  await expect(a.getByRole("log", { name: "Messages" }).getByText("Welcome to your new phone, Bob")).toBeVisible();
  await shot(a, "e2ee-thread-phone");
  await expectAccessible(a, "e2ee thread at phone width");
  await a.setViewportSize({ width: 1280, height: 800 });

  // A peer without keyPackages: the compose screen says before the first message that it is not encrypted.
  const carol = await peer.addActor("carol");
  await a.goto(alice.url + "/messages/new");
  await a.getByLabel("To").fill(carol.id);
  await a.getByRole("button", { name: "Find" }).click();
  await expect(a.getByText("Not end-to-end encrypted.")).toBeVisible();
  await expect(a.getByLabel("End-to-end encrypt")).toHaveCount(0);
  await shot(a, "e2ee-plaintext-peer");
  // Sent, it is a plain DM that says who can read it, and Carol's server got the words as a Note.
  await a.getByLabel("Message").fill("Hello Carol, in the clear");
  await a.getByRole("button", { name: "Send" }).click();
  await expect(a).toHaveURL(/\/messages\/[0-9a-z]+$/);
  await expect(a.getByText(`Readable by: you, the admins of ${peer.host}`)).toBeVisible();
  await expect(a.getByText("only your devices and")).toHaveCount(0);
  await eventually(async () => peer.requests.some((r) => r.method === "POST" && r.body.includes("Hello Carol, in the clear") && r.body.includes('"Note"')), "Carol's server received the Note");

  expect(pageErrors).toEqual([]);
});

/** A closed tab's browser, opened again: its context keeps cookies and IndexedDB, so it is the same device. */
async function reopen(who: Instance, closed: Page): Promise<Page> {
  const page = await closed.context().newPage();
  await page.goto(who.url + "/messages");
  return page;
}
