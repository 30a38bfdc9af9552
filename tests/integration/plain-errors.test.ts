import { beforeAll, describe, expect, it } from "vitest";
import { PASSWORD } from "../helpers/instances";
import { runCli, tempDataDir } from "../helpers/server";

// What the CLI says when an address cannot be used: one sentence a person can act on, never a
// library's message (getaddrinfo, Invalid URL, fetch failed) or a stack.

const dataDir = tempDataDir("moiety-plain-errors-");
const env = { MOIETY_ORIGIN: "http://127.0.0.1:3999" };
const cli = (...args: string[]) => runCli(args, { dataDir, env });

beforeAll(async () => {
  const setup = await runCli(["setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], { dataDir, stdin: PASSWORD, env });
  expect(setup.code).toBe(0);
});

describe("the CLI explains addresses it cannot use", () => {
  it.each([
    [["dm", "send", "@nobody@does-not-exist.invalid", "--text", "hi"], "moiety dm: No server answers at does-not-exist.invalid — check the address for typos."],
    [["follow", "https://does-not-exist.invalid/users/bob"], "moiety follow: No server answers at does-not-exist.invalid — check the address for typos."],
    [["follow", "bob"], "moiety follow: Add the server after the name, like @bob@example.com."],
    [["follow", "https://"], 'moiety follow: "https://" is not a valid URL.'],
    [["dm", "send", "@bob@localhost", "--text", "hi"], "moiety dm: @bob@localhost is on a private or local network address, which Moiety does not contact."],
  ])("moiety %j", async (args, said) => {
    const r = await cli(...args);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(said);
    expect(r.stdout + r.stderr).not.toMatch(/getaddrinfo|ENOTFOUND|Invalid URL|fetch failed|unexpected error|\n\s+at /);
  });
});
