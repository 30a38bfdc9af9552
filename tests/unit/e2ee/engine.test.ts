import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createE2eeEngine, type E2eeEngine } from "@/lib/e2ee/engine";
import { BEFORE_JOINING } from "@/lib/e2ee/receive";
import { createMemoryStore } from "@/lib/e2ee/store-memory";
import type { E2eeStore } from "@/lib/e2ee/store";
import { FakeServer } from "./fake-server";

// The engine end to end over real ts-mls and WebCrypto, with FakeServer
// standing in for the owners' servers.

const ALICE = "https://a.example/users/alice";
const BOB = "https://b.example/users/bob";

let server: FakeServer;
let clock: number;

function engine(actor: string, store: E2eeStore = createMemoryStore(), name = "browser"): E2eeEngine {
  return createE2eeEngine({ transport: server.transportFor(actor), store, ownerActor: actor, deviceName: name, now: () => clock });
}

/** The messageId of the newest visible PrivateMessage in an owner's stream. */
const lastMessageId = (actor: string) => server.owner(actor).stream.filter((e) => e.messageId).at(-1)!.messageId!;

async function pair() {
  const alice = engine(ALICE);
  const bob = engine(BOB);
  await alice.ensureDevice();
  await bob.ensureDevice();
  return { alice, bob };
}

beforeEach(() => {
  server = new FakeServer();
  clock = Date.now();
});

describe("Alice and Bob, one device each", () => {
  it("first message, reply in the same group, edit, delete", async () => {
    const { alice, bob } = await pair();
    expect(await alice.canEncrypt([BOB, "https://c.example/users/carol"])).toEqual([
      { actor: BOB, supported: true },
      { actor: "https://c.example/users/carol", supported: false, reason: "This actor has no device set up for encrypted messages." },
    ]);

    const sent = await alice.sendText({ recipients: [BOB], text: "Hello <Bob>,\n\nsee you & soon" });
    expect(await alice.messageView(sent.messageId)).toEqual({ state: "ok", text: "Hello <Bob>,\n\nsee you & soon", authorActor: ALICE, edited: false, deleted: false, images: [], summary: null });
    const bobFirst = lastMessageId(BOB);
    expect(await bob.messageView(bobFirst)).toEqual({ state: "unknown" });
    await bob.sync();
    expect(await bob.messageView(bobFirst)).toEqual({ state: "ok", text: "Hello <Bob>,\n\nsee you & soon", authorActor: ALICE, edited: false, deleted: false, images: [], summary: null });
    // Bob's Welcome used up one of his KeyPackages, on the server too.
    expect([...server.owner(BOB).devices.values()][0].keyPackages).toHaveLength(9);

    const reply = await bob.sendText({ recipients: [ALICE], text: "Hi!" });
    await alice.sync();
    const aliceReply = lastMessageId(ALICE);
    expect(await alice.messageView(aliceReply)).toMatchObject({ state: "ok", text: "Hi!", authorActor: BOB });
    // One group: Bob replied in the one Alice made (one Welcome in all).
    expect(server.owner(BOB).stream.filter((e) => e.kind === "Welcome")).toHaveLength(1);
    const bobConversation = (await bob.conversationView(reply.conversationId));
    expect(bobConversation.encrypted).toBe(true);
    expect(bobConversation.members.map((m) => m.actor)).toEqual([ALICE, BOB]);
    expect(bobConversation.keyChanged).toBe(false);
    const aliceView = await alice.conversationView(sent.conversationId);
    expect(aliceView.members).toEqual(bobConversation.members);
    expect(aliceView.members.find((m) => m.actor === ALICE)!.fingerprints).toEqual([await alice.fingerprint()]);
    expect(await alice.safetyNumber(BOB)).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(await alice.safetyNumber(BOB)).toBe(await bob.safetyNumber(ALICE));

    await alice.editText(sent.messageId, "Hello Bob, see you later");
    await bob.sync();
    expect(await bob.messageView(bobFirst)).toMatchObject({ state: "ok", text: "Hello Bob, see you later", edited: true, deleted: false });
    expect(await alice.messageView(sent.messageId)).toMatchObject({ text: "Hello Bob, see you later", edited: true });
    await expect(alice.editText(aliceReply, "not mine")).rejects.toThrow("Only your own messages can be edited or deleted.");

    await alice.deleteMessage(sent.messageId);
    await bob.sync();
    expect(await bob.messageView(bobFirst)).toMatchObject({ state: "ok", text: "", deleted: true });
    expect(server.owner(BOB).hidden.has(bobFirst)).toBe(true);
    expect(server.owner(ALICE).hidden.has(sent.messageId)).toBe(true);
  });

  it("a content warning travels inside the encrypted message and stays with it through an edit", async () => {
    const { alice, bob } = await pair();
    const sent = await alice.sendText({ recipients: [BOB], text: "the butler", summary: "  Film\n ending " });
    expect(await alice.messageView(sent.messageId)).toMatchObject({ state: "ok", text: "the butler", summary: "Film ending" });
    await bob.sync();
    const onBob = lastMessageId(BOB);
    expect(await bob.messageView(onBob)).toMatchObject({ state: "ok", text: "the butler", summary: "Film ending" });
    await alice.editText(sent.messageId, "the gardener");
    await bob.sync();
    expect(await bob.messageView(onBob)).toMatchObject({ state: "ok", text: "the gardener", edited: true, summary: "Film ending" });
    await expect(alice.sendText({ recipients: [BOB], text: "x", summary: "y".repeat(501) })).rejects.toThrow("A content warning has at most 500 characters.");
  });

  it("a picture is sent inside the encrypted message and read on the other side; too many bytes are refused in words", async () => {
    const { alice, bob } = await pair();
    const png = { mediaType: "image/png", content: Buffer.from("a tiny picture").toString("base64"), alt: "tiny" };
    const sent = await alice.sendText({ recipients: [BOB], text: "look", images: [png] });
    expect(await alice.messageView(sent.messageId)).toMatchObject({ state: "ok", text: "look", images: [png] });
    await bob.sync();
    expect(await bob.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "look", images: [png] });
    const big = { mediaType: "image/jpeg", content: Buffer.alloc(200 * 1024).toString("base64"), alt: "" };
    await expect(alice.sendText({ recipients: [BOB], text: "", images: [big] })).rejects.toThrow(/too large to encrypt together \(\d+ KB; at most 180 KB\)/);
  });

  it("a tampered PrivateMessage is unreadable with a reason and later messages still read", async () => {
    const { alice, bob } = await pair();
    await alice.sendText({ recipients: [BOB], text: "one" });
    server.deliverIn = (_, envelopes) =>
      envelopes.map((e) => {
        if (e.kind !== "PrivateMessage") return e;
        const bytes = Buffer.from(e.content, "base64");
        bytes[bytes.length - 5] ^= 0x01;
        return { ...e, content: bytes.toString("base64") };
      });
    await alice.sendText({ recipients: [BOB], text: "two" });
    const tampered = lastMessageId(BOB);
    server.deliverIn = (_, e) => e;
    await alice.sendText({ recipients: [BOB], text: "three" });
    await bob.sync();
    const view = await bob.messageView(tampered);
    expect(view.state).toBe("unreadable");
    if (view.state === "unreadable") expect(view.reason).toMatch(/^This message could not be decrypted or did not verify/);
    expect(await bob.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "three" });
  });

  it("a message whose envelope names another author than its MLS sender is unreadable", async () => {
    const { alice, bob } = await pair();
    const carol = "https://c.example/users/carol";
    await alice.sendText({ recipients: [BOB], text: "one" });
    server.deliverIn = (_, envelopes) => envelopes.map((e) => ({ ...e, actorId: carol }));
    await alice.sendText({ recipients: [BOB], text: "two" });
    await bob.sync();
    expect(await bob.messageView(lastMessageId(BOB))).toEqual({ state: "unreadable", reason: `The message was sent as ${ALICE} but delivered as from ${carol}.` });
  });

  it("a first send the server refuses leaves no group behind; the next send starts afresh", async () => {
    const bob = engine(BOB);
    await bob.ensureDevice();
    const transport = server.transportFor(ALICE);
    const failing = { ...transport, sendEnvelopes: async () => Promise.reject(new Error("The server is unreachable.")) };
    const store = createMemoryStore();
    await createE2eeEngine({ transport, store, ownerActor: ALICE, deviceName: "x", now: () => clock }).ensureDevice();
    const offline = createE2eeEngine({ transport: failing, store, ownerActor: ALICE, deviceName: "x", now: () => clock });
    await expect(offline.sendText({ recipients: [BOB], text: "lost" })).rejects.toThrow("The server is unreachable.");
    expect([...store.raw.keys()].filter((k) => /^(group|gstate|peers|out)\//.test(k))).toEqual([]);
    const online = createE2eeEngine({ transport, store, ownerActor: ALICE, deviceName: "x", now: () => clock });
    await online.sendText({ recipients: [BOB], text: "found" });
    await bob.sync();
    expect(await bob.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "found" });
  });

  it("a Welcome delivered after its PrivateMessage still ends readable", async () => {
    const { alice, bob } = await pair();
    server.deliverIn = (_, envelopes) => [...envelopes].reverse();
    await alice.sendText({ recipients: [BOB], text: "out of order" });
    server.deliverIn = (_, e) => e;
    expect(server.owner(BOB).stream.map((e) => e.kind)).toEqual(["PrivateMessage", "Welcome"]);
    await bob.sync();
    expect(await bob.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "out of order" });
  });

  it("state survives a new engine over the same store", async () => {
    const { alice } = await pair();
    const store = createMemoryStore();
    const bob1 = engine(BOB, store);
    await bob1.ensureDevice();
    await alice.sendText({ recipients: [BOB], text: "before reload" });
    await bob1.sync();
    const bob2 = engine(BOB, store);
    expect(await bob2.messageView(lastMessageId(BOB))).toMatchObject({ text: "before reload" });
    await alice.sendText({ recipients: [BOB], text: "after reload" });
    await bob2.sync();
    expect(await bob2.messageView(lastMessageId(BOB))).toMatchObject({ text: "after reload" });
    await bob2.sendText({ recipients: [ALICE], text: "from the reloaded page" });
    await alice.sync();
    expect(await alice.messageView(lastMessageId(ALICE))).toMatchObject({ text: "from the reloaded page" });
  });

  it("two engines over one store send at once without reusing a generation", async () => {
    const alice = engine(ALICE);
    await alice.ensureDevice();
    const store = createMemoryStore();
    const tab1 = engine(BOB, store);
    const tab2 = engine(BOB, store);
    await tab1.ensureDevice();
    await alice.sendText({ recipients: [BOB], text: "start" });
    await tab2.sync();
    // Both tabs send from the group they share; the lock puts one after the other.
    await Promise.all([tab1.sendText({ recipients: [ALICE], text: "tab one" }), tab2.sendText({ recipients: [ALICE], text: "tab two" })]);
    expect(server.owner(BOB).stream.filter((e) => e.kind === "Welcome")).toHaveLength(1);
    await alice.sync();
    const incoming = server.owner(ALICE).stream.filter((e) => e.messageId && e.direction === "in");
    const views = await Promise.all(incoming.map((e) => alice.messageView(e.messageId!)));
    expect(views.map((v) => (v.state === "ok" ? v.text : v.state)).sort()).toEqual(["tab one", "tab two"]);
  });
});

describe("more devices", () => {
  it("Alice's second device reads what she sent and what Bob sent", async () => {
    const { alice, bob } = await pair();
    const alice2 = engine(ALICE, createMemoryStore(), "laptop");
    await alice2.ensureDevice();
    const sent = await alice.sendText({ recipients: [BOB], text: "from phone" });
    await bob.sync();
    await bob.sendText({ recipients: [ALICE], text: "to both" });
    await alice2.sync();
    expect(await alice2.messageView(sent.messageId)).toMatchObject({ state: "ok", text: "from phone", authorActor: ALICE });
    expect(await alice2.messageView(lastMessageId(ALICE))).toMatchObject({ state: "ok", text: "to both", authorActor: BOB });
    // The first device skips its own envelopes and reads Bob's.
    await alice.sync();
    expect(await alice.messageView(lastMessageId(ALICE))).toMatchObject({ text: "to both" });
  });

  it("Bob's new device is added by Alice's creator device and reads what follows", async () => {
    const { alice, bob } = await pair();
    const before = await alice.sendText({ recipients: [BOB], text: "before the new device" });
    await bob.sync();
    const bobBefore = lastMessageId(BOB);
    const bob2 = engine(BOB, createMemoryStore(), "tablet");
    await bob2.ensureDevice();

    await alice.sync(); // within 10 minutes of making the group: no lookup yet
    expect(server.owner(ALICE).stream.filter((e) => e.kind === "PublicMessage")).toHaveLength(0);
    clock += 11 * 60 * 1000;
    await alice.sync();
    expect(server.owner(ALICE).stream.filter((e) => e.kind === "PublicMessage")).toHaveLength(1);
    expect((await alice.conversationView(before.conversationId)).keyChanged).toBe(true);
    await alice.acknowledgeKeys(before.conversationId);
    expect((await alice.conversationView(before.conversationId)).keyChanged).toBe(false);
    await alice.sync(); // throttled: no second commit
    expect(server.owner(ALICE).stream.filter((e) => e.kind === "PublicMessage")).toHaveLength(1);

    await alice.sendText({ recipients: [BOB], text: "after the new device" });
    await bob.sync();
    await bob2.sync();
    const after = lastMessageId(BOB);
    expect(await bob.messageView(after)).toMatchObject({ state: "ok", text: "after the new device" });
    expect(await bob2.messageView(after)).toMatchObject({ state: "ok", text: "after the new device" });
    // Sent before the tablet joined: said so, not taken for tampering.
    expect(await bob2.messageView(bobBefore)).toEqual({ state: "unreadable", reason: BEFORE_JOINING });
    const bobConversation = server.owner(BOB).stream[0].conversationId;
    expect((await bob2.conversationView(bobConversation)).members.find((m) => m.actor === BOB)!.fingerprints).toHaveLength(2);
    // Bob's first device replies; both of Alice's views and Bob's tablet read it.
    await bob.sendText({ recipients: [ALICE], text: "tablet joined" });
    await bob2.sync();
    await alice.sync();
    expect(await alice.messageView(lastMessageId(ALICE))).toMatchObject({ text: "tablet joined" });
    expect(await bob2.messageView(server.owner(BOB).stream.filter((e) => e.messageId).at(-1)!.messageId!)).toMatchObject({ text: "tablet joined" });
  });
});

describe("a lost creator device", () => {
  it("a device outside the group heals the conversation by sending: its new group takes everyone in, and the others answer in it", async () => {
    const { alice, bob } = await pair();
    const first = await alice.sendText({ recipients: [BOB], text: "from the browser that will be lost" });
    await bob.sync();
    // Alice's first browser is gone for good (its site data cleared): nobody is left to add devices to that group.
    const alice2 = engine(ALICE, createMemoryStore(), "new laptop");
    await alice2.ensureDevice();
    const bob2 = engine(BOB, createMemoryStore(), "tablet");
    await bob2.ensureDevice();
    clock += 11 * 60 * 1000;
    await bob.sync();
    await bob.sendText({ recipients: [ALICE], text: "anyone there?" });
    await alice2.sync();
    const missed = lastMessageId(ALICE);
    // Sent in a group the laptop is not in (and, its creator gone, will never be): no key for it here.
    expect(await alice2.messageView(missed)).toEqual({ state: "unknown" });

    // The new laptop writes: a new group for the same people, with every device they have now.
    const healed = await alice2.sendText({ recipients: [BOB], text: "new browser here" });
    expect(healed.conversationId).toBe(first.conversationId);
    await bob.sync();
    await bob2.sync();
    const onBob = lastMessageId(BOB);
    expect(await bob.messageView(onBob)).toMatchObject({ state: "ok", text: "new browser here", authorActor: ALICE });
    expect(await bob2.messageView(onBob)).toMatchObject({ state: "ok", text: "new browser here", authorActor: ALICE });
    // Bob's first device answers in the new group, which the laptop and the tablet both read.
    await bob.sendText({ recipients: [ALICE], text: "welcome back" });
    await alice2.sync();
    await bob2.sync();
    expect(await alice2.messageView(lastMessageId(ALICE))).toMatchObject({ state: "ok", text: "welcome back" });
    expect(await bob2.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "welcome back" });
    const view = await alice2.conversationView(first.conversationId);
    expect(view.members.find((m) => m.actor === BOB)!.fingerprints).toHaveLength(2);
    // Both of Alice's browsers are in the new group, the lost one included (its KeyPackages are still published).
    expect(view.members.find((m) => m.actor === ALICE)!.fingerprints).toHaveLength(2);
    expect(await alice2.messageView(missed)).toEqual({ state: "unknown" });
  });
});

describe("a month on", () => {
  const DAY_MS = 24 * 60 * 60 * 1000;
  /** Both clocks: the engine's and the one ts-mls reads (Date.now) for lifetimes. */
  function daysLater(days: number) {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(Date.now() + days * DAY_MS));
    clock += days * DAY_MS;
  }
  afterEach(() => vi.useRealTimers());

  const keyPackageIds = (actor: string) => [...server.owner(actor).devices.values()].flatMap((d) => d.keyPackages.map((k) => k.id)).sort();

  it("a device added to a conversation older than its members' KeyPackages still joins it and reads what follows", async () => {
    const { alice, bob } = await pair();
    const sent = await alice.sendText({ recipients: [BOB], text: "day one" });
    await bob.sync();
    // Bob's first device has not committed since: its leaf is the KeyPackage it joined with, expired by now.
    daysLater(31);
    await alice.ensureDevice();
    await bob.ensureDevice();
    const bob2 = engine(BOB, createMemoryStore(), "tablet");
    await bob2.ensureDevice();
    await alice.checkDevices(sent.conversationId, 0);
    await alice.sendText({ recipients: [BOB], text: "a month later" });
    await bob.sync();
    await bob2.sync();
    expect(await bob2.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "a month later" });
    expect(await bob.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "a month later" });
  });

  it("KeyPackages near their end leave the server for fresh ones; one already picked still opens its Welcome; expired ones are forgotten", async () => {
    const { alice, bob } = await pair();
    const first = keyPackageIds(BOB);
    expect(first).toHaveLength(10);
    daysLater(22);
    await bob.ensureDevice(); // 8 days left: kept
    expect(keyPackageIds(BOB)).toEqual(first);
    daysLater(1);
    // Alice picks one of them for a new conversation; Bob's browser then renews before reading it.
    await alice.sendText({ recipients: [BOB], text: "sent with an old KeyPackage" });
    await bob.ensureDevice();
    const renewed = keyPackageIds(BOB);
    expect(renewed).toHaveLength(10);
    expect(renewed.filter((id) => first.includes(id))).toEqual([]);
    await bob.sync();
    expect(await bob.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "sent with an old KeyPackage" });
    // A fresh one is what a new device of Alice's gets to use.
    const alice2 = engine(ALICE, createMemoryStore(), "laptop");
    await alice2.ensureDevice();
    daysLater(8); // the first ones have expired: gone from the browser too, and nothing else changes
    await bob.ensureDevice();
    expect(keyPackageIds(BOB)).toEqual(renewed);
    await alice2.sendText({ recipients: [BOB], text: "from the laptop" });
    await bob.sync();
    expect(await bob.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "from the laptop" });
  });
});

describe("devices and KeyPackages", () => {
  it("checkDevices adds a new device at once when asked, and only from the creator", async () => {
    const { alice, bob } = await pair();
    const sent = await alice.sendText({ recipients: [BOB], text: "hi" });
    await bob.sync();
    const bobConversation = server.owner(BOB).stream[0].conversationId;
    const bob2 = engine(BOB, createMemoryStore(), "phone");
    await bob2.ensureDevice();
    await bob.checkDevices(bobConversation, 0); // Bob did not create the group: no commit from him
    expect(server.owner(BOB).stream.filter((e) => e.kind === "PublicMessage")).toHaveLength(0);
    await alice.checkDevices(sent.conversationId, 60_000); // made seconds ago: not yet
    expect(server.owner(ALICE).stream.filter((e) => e.kind === "PublicMessage")).toHaveLength(0);
    await alice.checkDevices(sent.conversationId, 0);
    expect(server.owner(ALICE).stream.filter((e) => e.kind === "PublicMessage")).toHaveLength(1);
    await alice.sendText({ recipients: [BOB], text: "for both of Bob's devices" });
    await bob2.sync();
    expect(await bob2.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "for both of Bob's devices" });
  });

  it("a commit adding a device whose send failed is sent again at the next sync, so nobody is left behind", async () => {
    const transport = server.transportFor(ALICE);
    let failNext = false;
    const flaky = { ...transport, sendEnvelopes: (input: Parameters<typeof transport.sendEnvelopes>[0]) => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error("The server is unreachable."));
      }
      return transport.sendEnvelopes(input);
    } };
    const alice = createE2eeEngine({ transport: flaky, store: createMemoryStore(), ownerActor: ALICE, deviceName: "x", now: () => clock });
    const bob = engine(BOB);
    await alice.ensureDevice();
    await bob.ensureDevice();
    const sent = await alice.sendText({ recipients: [BOB], text: "hi" });
    const bob2 = engine(BOB, createMemoryStore(), "phone");
    await bob2.ensureDevice();
    failNext = true;
    await alice.checkDevices(sent.conversationId, 0); // the commit is saved but does not get out
    expect(server.owner(ALICE).stream.filter((e) => e.kind === "PublicMessage")).toHaveLength(0);
    await alice.sync(); // sent now
    expect(server.owner(ALICE).stream.filter((e) => e.kind === "PublicMessage")).toHaveLength(1);
    await alice.sendText({ recipients: [BOB], text: "after the retry" });
    await bob.sync();
    await bob2.sync();
    expect(await bob.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "after the retry" });
    expect(await bob2.messageView(lastMessageId(BOB))).toMatchObject({ state: "ok", text: "after the retry" });
  });

  it("a KeyPackage whose credential names another actor is refused", async () => {
    const { alice } = await pair();
    const mallory = "https://m.example/users/mallory";
    // Mallory's server hands out Bob's KeyPackages as Mallory's.
    const bobKeys = [...server.owner(BOB).devices.values()][0];
    server.owner(mallory).devices.set("dev-m", { ...bobKeys, id: "dev-m" });
    const [check] = await alice.canEncrypt([mallory]);
    expect(check).toEqual({ actor: mallory, supported: false, reason: `The KeyPackage's credential names ${BOB}, not ${mallory}.` });
    await expect(alice.sendText({ recipients: [mallory], text: "hi" })).rejects.toThrow(`Cannot encrypt for ${mallory} (The KeyPackage's credential names ${BOB}, not ${mallory}.).`);
  });

  it("a registration whose answer was lost is retried as the same device, not a second one", async () => {
    const transport = server.transportFor(ALICE);
    const lostAnswer = { ...transport, registerDevice: async (input: Parameters<typeof transport.registerDevice>[0]) => {
      await transport.registerDevice(input);
      throw new Error("The connection closed.");
    } };
    const store = createMemoryStore();
    await expect(createE2eeEngine({ transport: lostAnswer, store, ownerActor: ALICE, deviceName: "x", now: () => clock }).ensureDevice()).rejects.toThrow("The connection closed.");
    const again = await createE2eeEngine({ transport, store, ownerActor: ALICE, deviceName: "x", now: () => clock }).ensureDevice();
    expect(server.owner(ALICE).devices.size).toBe(1);
    expect(again.deviceId).toBe([...server.owner(ALICE).devices.keys()][0]);
    expect(server.owner(ALICE).devices.get(again.deviceId!)!.keyPackages).toHaveLength(10);
    expect([...store.raw.keys()].filter((k) => k.startsWith("kp/"))).toHaveLength(10);
    expect(store.raw.has("registering")).toBe(false);
  });

  it("KeyPackages are topped up to 10 when fewer than 5 remain", async () => {
    const { bob } = await pair();
    const device = [...server.owner(BOB).devices.values()][0];
    device.keyPackages = device.keyPackages.slice(0, 4);
    await bob.ensureDevice();
    expect(device.keyPackages).toHaveLength(10);
  });

  it("a device removed on the server is wiped and says so", async () => {
    const store = createMemoryStore();
    const { alice } = await pair();
    const bob = engine(BOB, store);
    const { deviceId } = await bob.ensureDevice();
    await alice.sendText({ recipients: [BOB], text: "secret" });
    await bob.sync();
    expect(store.raw.size).toBeGreaterThan(5);
    server.removeDevice(BOB, deviceId!);
    expect(await bob.ensureDevice()).toEqual({ removed: true, deviceId: null });
    expect(store.raw.size).toBe(0);
    await expect(bob.fingerprint()).rejects.toThrow("This browser is not set up for encrypted messages yet");
  });

  it("a record changed at rest fails to open, in plain words", async () => {
    const store = createMemoryStore();
    const bob = engine(BOB, store);
    await bob.ensureDevice();
    const sealed = store.raw.get("device") as Uint8Array;
    sealed[20] ^= 0xff;
    await expect(bob.fingerprint()).rejects.toThrow('The stored record "device" does not open with this browser\'s key: it was changed or damaged outside Moiety.');
  });
});
