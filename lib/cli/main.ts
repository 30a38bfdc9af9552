import { EnvError } from "../env";
import { CliError } from "./errors";
import { serveCommand } from "./serve";
import { setupCommand } from "./setup";

const USAGE = `Usage: moiety <command> [options]

Commands:
  setup --username U --display-name N --password-stdin [--origin URL] [--bio TEXT]
                      create the owner without the web wizard
  serve               migrate the database and start the server`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  setup: setupCommand,
  serve: serveCommand,
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
