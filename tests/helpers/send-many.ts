// Run with tsx in a Moiety data dir's environment: queues N DMs to one actor
// through the same code path as `moiety dm send`, in one process (the CLI
// would spend ~1.5 s starting up per message).
import { db } from "../../lib/db";
import { sendDirectMessage } from "../../lib/domain/direct-messages";

const [recipient, countText] = process.argv.slice(2);
const count = Number(countText);
const first = await sendDirectMessage({ to: [recipient], text: "burst 0" });
for (let i = 1; i < count; i++) {
  await sendDirectMessage({ conversationId: first.conversationId, text: `burst ${i}` });
}
console.log(JSON.stringify({ conversationId: first.conversationId }));
// Close the database so the process can end by itself.
await db().$disconnect();
