import { EnvError } from "../env";
import { backupCommand, restoreCommand } from "./backup";
import { CliError } from "./errors";
import { dmCommand } from "./dm";
import { doctorCommand } from "./doctor";
import { exportCommand } from "./export";
import { migrateDatabase } from "./migrate";
import { blockCommand, blocksCommand, followCommand, followersCommand, followingCommand, unfollowCommand } from "./people";
import { serveCommand } from "./serve";
import { setupCommand } from "./setup";

const USAGE = `Usage: moiety <command> [options]

Commands:
  setup --username U --display-name N --password-stdin [--origin URL] [--bio TEXT]
                      create the owner without the web wizard
  serve               migrate the database and start the server
  dm send <@user@host | actor URL>... --text T [--json]
  dm send --conversation ID --text T      reply in a conversation (same people)
  dm list [--json]    conversations, newest first
  dm show ID [--json] one conversation with its messages and delivery states
  dm edit MESSAGE --text T / dm delete MESSAGE
  follow @user@host / unfollow @user@host / block @user@host
  followers [--json] / following [--json] / blocks [--json]
  doctor [--json] [--origin URL]
                      check the public address as other servers see it (DNS, HTTPS, WebFinger, clock, queue)
  backup FILE [--force]
                      write a consistent snapshot (database, keys, media) to FILE (.tar.gz), also while serving
  restore FILE [--force]
                      restore a backup into the data dir (server stopped; --force replaces a database)
  export DIR          your DMs as conversations.json and a static HTML archive, with your attachments`;

/** Commands that work on the database need it migrated first (serve and setup do that themselves). */
const withDatabase =
  (run: (argv: string[]) => Promise<void>) =>
  async (argv: string[]): Promise<void> => {
    await migrateDatabase();
    await run(argv);
  };

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  setup: setupCommand,
  serve: serveCommand,
  dm: withDatabase(dmCommand),
  follow: withDatabase(followCommand),
  unfollow: withDatabase(unfollowCommand),
  block: withDatabase(blockCommand),
  followers: withDatabase(followersCommand),
  following: withDatabase(followingCommand),
  blocks: withDatabase(blocksCommand),
  doctor: withDatabase(doctorCommand),
  backup: backupCommand,
  restore: restoreCommand,
  export: withDatabase(exportCommand),
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
