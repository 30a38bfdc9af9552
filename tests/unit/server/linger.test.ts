import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lingerThenClose } from "@/lib/server/linger";

// lib/server/linger.ts on real loopback sockets: a refused request's
// connection is closed after its grace period by the shared sweep, unless it
// was released (the client finished sending).

let server: net.Server;
const accepted: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer((s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});
afterAll(async () => {
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
});

async function pair(): Promise<{ client: net.Socket; served: net.Socket }> {
  const before = accepted.length;
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  client.on("error", () => {});
  await new Promise((r) => client.once("connect", r));
  while (accepted.length === before) await new Promise((r) => setTimeout(r, 5));
  return { client, served: accepted[accepted.length - 1] };
}

const closed = (s: net.Socket) => new Promise<number>((r) => { const t = Date.now(); s.once("close", () => r(Date.now() - t)); });

describe("lingerThenClose", () => {
  it("closes the connection once its time is up, within the sweep's half second", async () => {
    const { client, served } = await pair();
    const clientClosed = closed(client);
    lingerThenClose(served, 200);
    const after = await clientClosed;
    expect(after).toBeGreaterThanOrEqual(150);
    expect(after).toBeLessThan(2_000);
    expect(served.destroyed).toBe(true);
  });

  it("leaves a released connection open, and watches a socket that lingers again only once", async () => {
    const { client, served } = await pair();
    const listeners = served.listenerCount("close");
    for (let i = 0; i < 20; i++) lingerThenClose(served, 200).release();
    expect(served.listenerCount("close")).toBe(listeners + 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(served.destroyed).toBe(false);
    client.destroy();
  });
});
