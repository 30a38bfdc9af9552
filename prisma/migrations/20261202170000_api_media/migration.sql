-- Images uploaded through the Mastodon API before the status that carries them
-- (issue 13), and an index for a conversation's newest message by API id (the
-- conversations list pages by its last status's id, as Mastodon does).
CREATE TABLE "ApiMedia" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "file" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "description" TEXT,
    "messageId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE UNIQUE INDEX "ApiMedia_file_key" ON "ApiMedia"("file");
CREATE INDEX "ApiMedia_messageId_createdAt_idx" ON "ApiMedia"("messageId", "createdAt");
CREATE INDEX "Message_conversationId_apiId_idx" ON "Message"("conversationId", "apiId");
