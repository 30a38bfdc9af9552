import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { apiFetch, apiToken } from "../helpers/api-token";
import { eventually, PASSWORD, type Instance } from "../helpers/instances";
import { startPushService } from "../helpers/push-service";
import { freePort, runCli, startServer, tempDataDir } from "../helpers/server";

// Push endpoints are the only third parties Moiety contacts for pushes, and
// they go through the private-address guard like any inbox: with production
// settings (MOIETY_ALLOW_PRIVATE_ADDRESSES unset) an app cannot subscribe an
// endpoint on this machine or its network, and a subscription that points
// there anyway (a name that resolved elsewhere when it was made) is never
// contacted. A counting server on loopback shows that nothing arrived.

function sql<T = Record<string, unknown>>(dataDir: string, query: string, ...args: unknown[]): T[] {
  const db = new Database(path.join(dataDir, "moiety.db"));
  try {
    const statement = db.prepare(query);
    return (statement.reader ? statement.all(...args) : (statement.run(...args), [])) as T[];
  } finally {
    db.close();
  }
}

function subscribeJson(d: { endpoint: string; p256dh: string; auth: string }) {
  return { subscription: { endpoint: d.endpoint, keys: { p256dh: d.p256dh, auth: d.auth } }, data: { alerts: { mention: true, follow: true } }, policy: "all" };
}

describe("push endpoints and the private-address guard (production settings)", () => {
  it("refuses private endpoints at subscribe time, and a stored one is never contacted", async () => {
    const connections = { n: 0 };
    const canary = await startPushService(() => "");
    const counting = http.createServer((_req, res) => res.writeHead(201).end());
    counting.on("connection", () => connections.n++);
    await new Promise<void>((r) => counting.listen(0, "127.0.0.1", r));
    const countingPort = (counting.address() as AddressInfo).port;
    const dataDir = tempDataDir("moiety-push-prod-");
    const serverPort = await freePort();
    const origin = `http://127.0.0.1:${serverPort}`;
    const env = { MOIETY_ORIGIN: origin, MOIETY_ALLOW_PRIVATE_ADDRESSES: "" };
    const setup = await runCli(["setup", "--username", "carol", "--display-name", "Carol", "--password-stdin"], { dataDir, stdin: PASSWORD, env });
    expect(setup.code).toBe(0);
    const server = await startServer({ dataDir, env: { PORT: String(serverPort), MOIETY_ALLOW_PRIVATE_ADDRESSES: "" } });
    const carol = { ...server, username: "carol", actor: `${origin}/users/carol` } as unknown as Instance;
    try {
      const api = apiFetch(carol, await apiToken(carol));
      const d = canary.device("x");
      for (const endpoint of [
        `http://127.0.0.1:${countingPort}/push/x`,
        `https://127.0.0.1:${countingPort}/push/x`,
        `https://localhost:${countingPort}/push/x`,
        `https://[::ffff:127.0.0.1]:${countingPort}/push/x`,
        `https://10.1.2.3/push/x`,
      ]) {
        const r = await api("/api/v1/push/subscription", { method: "POST", body: subscribeJson({ ...d, endpoint }) });
        expect(r.status, endpoint).toBe(422);
        expect(r.json.error, endpoint).toMatch(/https URL|private or local network/);
      }
      // A subscription stored anyway (a name that resolved elsewhere when it was made), and a notification for it.
      const now = () => new Date().toISOString().replace("Z", "+00:00");
      sql(
        dataDir,
        `INSERT INTO "PushSubscription" ("endpoint", "p256dh", "auth", "standard", "sessionId", "deviceName", "alerts", "policy", "createdAt")
         VALUES (?, ?, ?, 1, 's', 'x', '{"follow":true}', 'all', ?)`,
        `https://[::ffff:7f00:1]:${countingPort}/push/x`,
        d.p256dh,
        d.auth,
        now(),
      );
      sql(dataDir, `INSERT INTO "Notification" ("type", "actorId", "messageId", "createdAt") VALUES ('follow', 'https://remote.example/users/eve', NULL, ?)`, now());
      expect(sql<{ n: number }>(dataDir, `SELECT count(*) AS n FROM "PushDelivery"`)[0].n).toBe(1);
      await eventually(async () => sql<{ n: number }>(dataDir, `SELECT count(*) AS n FROM "PushDelivery"`)[0].n === 0, "the push to be dropped");
      expect(connections.n).toBe(0);
      expect(carol.output()).toMatch(/private or local network address/);
    } finally {
      await server.stop();
      await canary.close();
      await new Promise<void>((r) => counting.close(() => r()));
    }
  });
});
