// Run by scripts/bench/fanout.mjs with tsx in a Moiety data dir's environment:
// one DM to every actor URL given, through the same code as `moiety dm send`,
// timed from inside (the CLI's own start-up is not part of the figure).
//   node --import tsx scripts/bench/fanout-send.ts URL... [--resolve-first]
import { resolveActor } from "../../lib/federation/lookup";
import { sendDirectMessage } from "../../lib/domain/direct-messages";

const args = process.argv.slice(2);
const resolveFirst = args.includes("--resolve-first");
const to = args.filter((a) => !a.startsWith("--"));
// The wall clock, which the benchmark's own process reads too (fanout.mjs).
const now = () => Date.now();

let resolvedMs: number | null = null;
if (resolveFirst) {
  // What the compose form does while the owner types: look each person up (and cache them).
  const t = now();
  for (const who of to) await resolveActor(who);
  resolvedMs = now() - t;
}
const sendStart = now();
const sent = await sendDirectMessage({ to, text: `fan-out benchmark ${new Date().toISOString()}` });
const sendEnd = now();
console.log(JSON.stringify({ sendStart, sendEnd, resolvedMs, recipients: sent.recipients.length, conversationId: sent.conversationId }));
process.exit(0);
