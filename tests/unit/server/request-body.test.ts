import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BodyBudget, readBody, type BodyRules } from "@/lib/server/request-body";

// readBody against real clients on loopback, with the rules shrunk from
// seconds to milliseconds so the slow cases take a moment, not a minute.

const RULES: BodyRules = { windowMs: 200, minBytesPerWindow: 100, graceMs: 300, minBytesPerSecond: 1_000 };
const LIMIT = 5_000;
const budget = new BodyBudget(3_000, 1_000, 200);
let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    const read = await readBody(req, LIMIT, budget, RULES);
    if (read.ok) {
      const held = budget.held;
      read.release();
      res.end(JSON.stringify({ status: 200, bytes: read.body.length, held, after: budget.held }));
    } else {
      req.resume();
      res.end(JSON.stringify({ status: read.status, error: read.error }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** POST with a declared length, sending `chunks` bytes every `everyMs`; the answer and when it came. */
function trickle(declared: number, chunk: number, everyMs: number): Promise<{ answer: any; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    let sent = 0;
    socket.write(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: ${declared}\r\nconnection: close\r\n\r\n`);
    const timer = setInterval(() => {
      const n = Math.min(chunk, declared - sent);
      if (n > 0 && !socket.destroyed) socket.write(Buffer.alloc(n, 97));
      sent += n;
    }, everyMs);
    socket.on("data", (d) => (text += d));
    socket.on("error", reject);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ answer: JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)), ms: Date.now() - started });
    });
  });
}

describe("readBody", () => {
  it("reads a body that arrives in time, and gives its bytes back to the budget", async () => {
    const { answer } = await trickle(150, 150, 10);
    expect(answer).toEqual({ status: 200, bytes: 150, held: 150, after: 0 });
  });

  it("answers 408 when the body stops coming", async () => {
    const { answer, ms } = await trickle(1_000, 1, 50);
    expect(answer.status).toBe(408);
    expect(ms).toBeLessThan(1_000);
    expect(budget.held).toBe(0);
  });

  it("answers 408 when a body that keeps coming is too slow for its size", async () => {
    // 120 bytes per 190 ms passes every window, but 1,000 bytes need 1.6 s where 1.3 s are allowed.
    const { answer, ms } = await trickle(1_000, 120, 190);
    expect(answer.status).toBe(408);
    expect(ms).toBeGreaterThanOrEqual(1_200);
  });

  it("answers 413 past the limit and 503 past the budget", async () => {
    expect((await trickle(LIMIT + 500, LIMIT + 500, 10)).answer.status).toBe(413);
    expect((await trickle(2_500, 2_500, 10)).answer.status).toBe(503);
    expect(budget.held).toBe(0);
  });
});

describe("BodyBudget", () => {
  it("keeps its reserve for small bodies", () => {
    const b = new BodyBudget(1_000, 400, 200);
    expect(b.take(600, 600)).toBe(true);
    expect(b.take(1, 601)).toBe(false); // a large body may not enter the reserve
    expect(b.take(200, 200)).toBe(true); // a small one may
    expect(b.take(200, 200)).toBe(true);
    expect(b.take(1, 1)).toBe(false); // nothing may pass the total
    b.give(1_000);
    expect(b.held).toBe(0);
  });
});
