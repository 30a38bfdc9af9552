// Run as a child process by queue.test.ts (node --import tsx): claims one
// message of queue "crash" and never finishes it, so the parent can kill this
// process mid-handler the way a crash or `kill -9` would.
import { SqliteMessageQueue } from "../../../lib/federation/inbound/message-queue";

const queue = new SqliteMessageQueue("crash", { leaseMs: 1000, pollIntervalMs: 50 });
void queue.listen(async (message) => {
  process.stdout.write(`started ${JSON.stringify(message)}\n`);
  await new Promise(() => {}); // hang until killed
});
