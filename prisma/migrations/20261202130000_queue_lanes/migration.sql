-- Inbox queue lanes (issue 11, lib/federation/message-queue.ts): the sending
-- server and actor of each queued message, so several are handled at once
-- with a per-server limit and one actor's activities stay in order.
ALTER TABLE "QueueMessage" ADD COLUMN "groupKey" TEXT;
ALTER TABLE "QueueMessage" ADD COLUMN "sequenceKey" TEXT;

CREATE INDEX "QueueMessage_queue_groupKey_lockedUntil_idx" ON "QueueMessage"("queue", "groupKey", "lockedUntil");
CREATE INDEX "QueueMessage_queue_sequenceKey_idx" ON "QueueMessage"("queue", "sequenceKey");
