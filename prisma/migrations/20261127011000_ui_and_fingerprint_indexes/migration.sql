-- Indexes for the owner's UI at scale (issue 7, docs/BENCHMARKS.md). Only
-- CREATE INDEX: `prisma migrate dev` also proposed dropping the FTS5 tables of
-- the message_search migration, which it does not model; those lines were removed.

-- The conversation list: a folder's newest conversations, and the unread/request counts.
CREATE INDEX "Conversation_isRequest_archived_lastMessageAt_id_idx" ON "Conversation"("isRequest", "archived", "lastMessageAt", "id");
CREATE INDEX "Conversation_isRequest_unreadCount_idx" ON "Conversation"("isRequest", "unreadCount");

-- "Has the owner written to this actor?" when a stranger's DM starts a conversation.
CREATE INDEX "ConversationParticipant_actorId_idx" ON "ConversationParticipant"("actorId");

-- The live-update fingerprint (lib/domain/inbox.ts changeFingerprint): max() of these without a scan.
CREATE INDEX "Delivery_updatedAt_idx" ON "Delivery"("updatedAt");
CREATE INDEX "Message_updated_idx" ON "Message"("updated");
CREATE INDEX "Message_deletedAt_idx" ON "Message"("deletedAt");
