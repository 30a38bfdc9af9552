import { parseArgs } from "node:util";
import { env } from "../env";
import { handleFor } from "../domain/public-address";
import { runSetup, originSchema } from "../domain/setup";
import { CliError } from "./errors";
import { migrateDatabase } from "./migrate";

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError("--password-stdin expects the password on standard input (echo … | moiety setup …).");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function setupCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      username: { type: "string" },
      "display-name": { type: "string" },
      "password-stdin": { type: "boolean", default: false },
      origin: { type: "string" },
      bio: { type: "string" },
    },
    strict: true,
  });
  if (!values.username) throw new CliError("Missing --username.");
  if (!values["display-name"]) throw new CliError("Missing --display-name.");
  if (!values["password-stdin"]) throw new CliError("Give the password on standard input with --password-stdin.");
  let origin = env().origin;
  if (values.origin !== undefined) {
    const parsed = originSchema.safeParse(values.origin);
    if (!parsed.success) throw new CliError(`--origin: ${parsed.error.issues[0].message}`);
    origin = new URL(parsed.data).origin;
  }
  // One line only: a trailing newline from echo is not part of the password.
  const password = (await readStdin()).replace(/\r?\n$/, "");

  await migrateDatabase();
  const result = await runSetup({
    username: values.username,
    displayName: values["display-name"],
    password,
    confirmPassword: password,
    bio: values.bio ?? "",
    origin,
  });
  if (!result.ok) {
    const [field, message] = Object.entries(result.errors)[0];
    const flag = { username: "--username", displayName: "--display-name", password: "password", bio: "--bio" }[field];
    throw new CliError(flag ? `${flag}: ${message}` : message);
  }
  console.log(`Owner ${handleFor(result.owner.username, origin)} created. Log in at ${origin}/login`);
}
