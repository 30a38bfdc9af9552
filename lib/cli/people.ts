import { parseArgs } from "node:util";
import { listBlocks, listFollows } from "../domain/contacts";
import { LookupError } from "../federation/lookup";
import { blockActor, followActor, SendError, unfollowActor } from "../federation/outgoing";
import { CliError } from "./errors";
import { printJson } from "./output";

function oneTarget(argv: string[], usage: string): string {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new CliError(`Usage: ${usage}`);
  return positionals[0];
}

async function act(work: () => Promise<{ handle: string | null; id: string }>, done: (who: string) => string) {
  try {
    const target = await work();
    console.log(done(target.handle ?? target.id));
  } catch (err) {
    if (err instanceof SendError || err instanceof LookupError) throw new CliError(err.message);
    throw err;
  }
}

export const followCommand = (argv: string[]) =>
  act(() => followActor(oneTarget(argv, "moiety follow @user@host")), (w) => `Follow request sent to ${w}.`);

export const unfollowCommand = (argv: string[]) =>
  act(() => unfollowActor(oneTarget(argv, "moiety unfollow @user@host")), (w) => `Unfollowed ${w}.`);

export const blockCommand = (argv: string[]) =>
  act(() => blockActor(oneTarget(argv, "moiety block @user@host")), (w) => `Blocked ${w}.`);

function listCommand(direction: "in" | "out") {
  return async (argv: string[]) => {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean", default: false } }, strict: true });
    const rows = await listFollows(direction);
    const list = rows.map((f) => ({ actor: f.actorId, handle: f.actor?.handle ?? null, name: f.actor?.name ?? null, state: f.state }));
    if (values.json) return printJson({ [direction === "in" ? "followers" : "following"]: list });
    if (list.length === 0) return console.log(direction === "in" ? "No followers." : "Not following anyone.");
    for (const f of list) console.log(`${f.handle ?? f.actor}${f.state === "pending" ? " (pending)" : ""}`);
  };
}

export const followersCommand = listCommand("in");
export const followingCommand = listCommand("out");

export async function blocksCommand(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { json: { type: "boolean", default: false } }, strict: true });
  const blocks = await listBlocks();
  if (values.json) return printJson({ blocks: blocks.map((b) => ({ kind: b.kind, value: b.value })) });
  for (const b of blocks) console.log(`${b.kind}: ${b.value}`);
}
