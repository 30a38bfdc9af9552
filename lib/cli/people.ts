import { parseArgs } from "node:util";
import { normalizeHandle } from "../activitypub/mentions";
import { addBlock, findRemoteActorByHandle, listBlocks, listFollows, removeBlock } from "../domain/contacts";
import { blockedServerSchema } from "../domain/validation";
import { LookupError } from "../federation/lookup";
import { blockActor, followActor, unfollowActor } from "../domain/follows";
import { SendError } from "../domain/sending";
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

function blockArgs(argv: string[], usage: string): { kind: "domain" | "actor"; value: string } {
  const { values, positionals } = parseArgs({ args: argv, options: { domain: { type: "string" } }, allowPositionals: true, strict: true });
  if (values.domain !== undefined) {
    if (positionals.length > 0) throw new CliError(`Usage: ${usage}`);
    const server = blockedServerSchema.safeParse(values.domain);
    if (!server.success) throw new CliError(`--domain: ${server.error.issues[0].message}`);
    return { kind: "domain", value: server.data };
  }
  if (positionals.length !== 1) throw new CliError(`Usage: ${usage}`);
  return { kind: "actor", value: positionals[0] };
}

export async function blockCommand(argv: string[]) {
  const target = blockArgs(argv, "moiety block @user@host | moiety block --domain SERVER");
  if (target.kind === "domain") {
    await addBlock("domain", target.value);
    return console.log(`Blocked everyone on ${target.value}.`);
  }
  await act(() => blockActor(target.value), (w) => `Blocked ${w}.`);
}

/** Unblocking needs no network: the block names the actor URL, and a handle is looked up in the cache. */
export async function unblockCommand(argv: string[]) {
  const target = blockArgs(argv, "moiety unblock @user@host | moiety unblock --domain SERVER");
  let value = target.value;
  if (target.kind === "actor" && !/^https?:\/\//i.test(value)) {
    const handle = normalizeHandle(value);
    const known = handle ? await findRemoteActorByHandle(handle) : null;
    if (!known) throw new CliError(`${value} is not blocked (no known account by that address).`);
    value = known.id;
  }
  if (!(await removeBlock(target.kind, value))) throw new CliError(`${target.value} is not blocked.`);
  console.log(`Unblocked ${target.value}.`);
}

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
