import { freePort, runCli, startServer, tempDataDir, type TestServer } from "./server";

// Two (or more) real Moiety instances on loopback, each with an owner made by
// the CLI, talking over real HTTP with real signatures.

export const PASSWORD = "a long enough password";

export type Instance = TestServer & {
  username: string;
  actor: string;
  cli: (args: string[], stdin?: string) => ReturnType<typeof runCli>;
  json: <T = any>(args: string[]) => Promise<T>;
};

export async function startInstance(username: string, opts: { env?: Record<string, string>; cold?: boolean } = {}): Promise<Instance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = tempDataDir(`moiety-${username}-`);
  const env = { MOIETY_ORIGIN: url, MOIETY_ALLOW_PRIVATE_ADDRESSES: "1" };
  const setup = await runCli(["setup", "--username", username, "--display-name", username[0].toUpperCase() + username.slice(1), "--password-stdin"], {
    dataDir,
    stdin: PASSWORD,
    env,
  });
  if (setup.code !== 0) throw new Error(`setup failed: ${setup.stderr}`);
  const server = await startServer({ dataDir, origin: url, env: { PORT: String(port), ...opts.env }, cold: opts.cold });
  const cli = (args: string[], stdin?: string) => runCli(args, { dataDir, stdin, env });
  return {
    ...server,
    username,
    actor: `${url}/users/${username}`,
    cli,
    json: async (args) => {
      const r = await cli([...args, "--json"]);
      if (r.code !== 0) throw new Error(`moiety ${args.join(" ")} failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
  };
}

/** Poll until `check` returns a truthy value (or throw with the last value after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check().catch(() => undefined);
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}
