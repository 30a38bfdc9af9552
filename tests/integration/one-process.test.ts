import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { Peer, type PeerActor } from "../helpers/peer";
import { processTree } from "../helpers/server";

// `moiety serve` is one process: the front, Next's request handler and the
// workers, the last two loaded only when needed (lib/server/next-app.ts,
// lib/server/lazy-workers.ts). The server says when it loads either; its
// output shows what a request made it load.

let alice: Instance;
let peer: Peer;
let pat: PeerActor;

beforeAll(async () => {
  peer = await Peer.start();
  [alice, pat] = await Promise.all([startInstance("alice", { cold: true }), peer.addActor("pat")]);
});
afterAll(async () => {
  await Promise.all([alice?.stop(), peer?.close()]);
});

const count = (text: string, line: string) => text.split(line).length - 1;

describe("`moiety serve`", () => {
  it("runs as one process that answers /api/health before loading the web app or the workers", async () => {
    const pid = alice.process.pid!;
    expect(processTree(pid)).toEqual([pid]);

    const health = await new Client(alice.url).get("/api/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "ok", database: "ok", setup: "complete" });
    expect(health.headers["cache-control"]).toBe("no-store");
    expect(alice.output()).not.toContain("Loading the web app");
    expect(alice.output()).not.toContain("Starting the federation workers");

    // The first page loads Next, in this process; the request waits for it instead of being refused.
    const [first, second] = await Promise.all([new Client(alice.url).get("/login"), new Client(alice.url).get("/login")]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body).toContain("<html");
    expect(count(alice.output(), "Loading the web app")).toBe(1);
    expect(processTree(pid)).toEqual([pid]);
  });

  it("starts the workers for a DM queued by the command line, a process of its own, and delivers it", async () => {
    const sent = await alice.cli(["dm", "send", pat.id, "--text", "Sent from the command line"]);
    expect(sent.code).toBe(0);
    const delivered = await eventually(
      async () => peer.inboxActivities("pat").find((a) => a.activity?.type === "Create" && JSON.stringify(a.activity).includes("Sent from the command line")),
      "the DM at pat's inbox",
    );
    expect(delivered.request.method).toBe("POST");
    expect(alice.output()).toContain("Starting the federation workers (queued work in the database)");
    expect(count(alice.output(), "Starting the federation workers")).toBe(1);
    expect(processTree(alice.process.pid!)).toEqual([alice.process.pid]);
  });
});
