import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServer, type TestServer } from "../helpers/server";

// `moiety doctor` against a running server, through its (plain http) origin.

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

const doctor = (...args: string[]) => runCli(["doctor", ...args], { dataDir: server.dataDir, env: { MOIETY_ORIGIN: server.url } });

describe("moiety doctor", () => {
  it("before setup: says the owner is missing and how to finish setup", async () => {
    const r = await doctor("--json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.checks.find((c: { name: string }) => c.name === "WebFinger")).toMatchObject({ status: "problem", detail: "no owner yet" });
  });

  it("reports an http origin as a problem with a fix, and the rest as reachable", async () => {
    const setup = await runCli(["setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], {
      dataDir: server.dataDir,
      stdin: "a long enough password",
      env: { MOIETY_ORIGIN: server.url },
    });
    expect(setup.code).toBe(0);

    const r = await doctor();
    expect(r.code).toBe(1);
    const host = new URL(server.url).host;
    expect(r.stdout).toContain(`Moiety doctor: ${server.url}, as other servers see it`);
    expect(r.stdout).toMatch(new RegExp(`^✗ HTTPS +${server.url.replace(/\./g, "\\.")} is not https$`, "m"));
    expect(r.stdout).toMatch(/^ +Fix: Mastodon and other servers only talk to https:\/\/ addresses\./m);
    expect(r.stdout).toMatch(/^✗ Address .* is not a public address$/m);
    expect(r.stdout).toMatch(/^- DNS +127\.0\.0\.1 is an IP address/m);
    expect(r.stdout).toContain(`✓ WebFinger  @alice@${host} → ${server.url}/users/alice`);
    expect(r.stdout).toMatch(/^✓ Actor .*\/users\/alice \(inbox /m);
    expect(r.stdout).toMatch(/^✓ NodeInfo +moiety /m);
    expect(r.stdout).toMatch(/^✓ Clock +in step|^✓ Clock +the server's clock is \d s/m);
    expect(r.stdout).toMatch(/^✓ Queue +0 deliveries waiting, 0 failed, 0 incoming activities to process$/m);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("2 problems found.");
    expect(r.stderr.trim()).toBe("moiety doctor: 2 problems found; see the fixes above.");
  });

  it("says in plain words when --origin is not a web address", async () => {
    for (const [arg, said] of [
      ["notaurl", '"notaurl" is not a web address.'],
      ["ftp://social.example", '"ftp://social.example" is not an http(s) address.'],
    ]) {
      const r = await runCli(["doctor", "--origin", arg], { dataDir: server.dataDir, env: { MOIETY_ORIGIN: server.url } });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`moiety doctor: ${said} Give the address other servers use, like --origin https://social.example.`);
      expect(r.stdout + r.stderr).not.toMatch(/Invalid URL|unexpected error|at .*\.ts:/);
    }
  });

  it("explains an origin where nothing listens", async () => {
    const r = await runCli(["doctor", "--origin", "https://127.0.0.1:9"], { dataDir: server.dataDir, env: { MOIETY_ORIGIN: server.url } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ HTTPS +port 9 of 127\.0\.0\.1 refused the connection$/m);
    expect(r.stdout).toMatch(/Fix: Nothing listens on port 9 there/);
  });
});
