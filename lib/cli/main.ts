import { EnvError } from "../env";
import { CliError } from "./errors";
import { usePrivateUmask } from "./private-data";

const USAGE = `Usage: moiety <command> [options]

Commands:
  setup --username U --display-name N --password-stdin [--origin URL] [--bio TEXT]
                      create the owner without the web wizard
  serve               migrate the database and start the server
  dm send <@user@host | actor URL>... --text T [--content-warning W] [--json]
  dm send --conversation ID --text T      reply in a conversation (same people)
  dm list [--json]    conversations, newest first
  dm show ID [--json] one conversation with its messages and delivery states
  dm edit MESSAGE --text T / dm delete MESSAGE
  follow @user@host / unfollow @user@host
  block @user@host / block --domain SERVER / unblock (the same)
  followers [--json] / following [--json] / blocks [--json]
  doctor [--json] [--origin URL]
                      check the public address as other servers see it (DNS, HTTPS, WebFinger, clock, queue)
  backup FILE [--force]
                      write a consistent snapshot (database, keys, media) to FILE (.tar.gz), also while serving
  restore FILE [--force] [--allow-large]
                      restore a backup into the data dir (server stopped; --force replaces a database;
                      --allow-large accepts one that unpacks to over 100 times its size)
  export DIR          your DMs as conversations.json and a static HTML archive, with your attachments
  token create --name N --scopes "read write follow push" [--json]
                      an API token for Mastodon apps and scripts (printed once)
  token list [--json] / token revoke ID`;

// Each command is imported when it runs: loading all of them (Fedify, Prisma,
// sanitize-html, argon2, acme-client) took `serve` 2.3 s and ~120 MB it never used.
type Command = (argv: string[]) => Promise<void>;

/** Commands that work on the database need it migrated first (serve and setup do that themselves). */
const withDatabase =
  (load: () => Promise<Command>): Command =>
  async (argv) => {
    const { migrateDatabase } = await import("./migrate");
    await migrateDatabase();
    await (await load())(argv);
  };

const people = () => import("./people");

const COMMANDS: Record<string, Command> = {
  setup: async (argv) => (await import("./setup")).setupCommand(argv),
  serve: async (argv) => (await import("./serve")).serveCommand(argv),
  dm: withDatabase(async () => (await import("./dm")).dmCommand),
  follow: withDatabase(async () => (await people()).followCommand),
  unfollow: withDatabase(async () => (await people()).unfollowCommand),
  block: withDatabase(async () => (await people()).blockCommand),
  unblock: withDatabase(async () => (await people()).unblockCommand),
  followers: withDatabase(async () => (await people()).followersCommand),
  following: withDatabase(async () => (await people()).followingCommand),
  blocks: withDatabase(async () => (await people()).blocksCommand),
  doctor: withDatabase(async () => (await import("./doctor")).doctorCommand),
  backup: async (argv) => (await import("./backup")).backupCommand(argv),
  restore: async (argv) => (await import("./backup")).restoreCommand(argv),
  export: withDatabase(async () => (await import("./export")).exportCommand),
  token: withDatabase(async () => (await import("./token")).tokenCommand),
};

/** Run one CLI command; returns the process exit code. Errors are printed as one line. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    console.error(`moiety: unknown command "${command}". Run "moiety help" for the list.`);
    return 2;
  }
  // Before anything is written: databases, backups, exports and media are for this user only.
  usePrivateUmask();
  try {
    await run(rest);
    return 0;
  } catch (err) {
    const message =
      err instanceof CliError || err instanceof EnvError
        ? err.message
        : err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")
          ? err.message
          : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    console.error(`moiety ${command}: ${message.split("\n")[0]}`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}
