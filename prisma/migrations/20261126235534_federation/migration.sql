-- CreateTable
CREATE TABLE "KvEntry" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "expiresAt" DATETIME
);

-- CreateTable
CREATE TABLE "QueueMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "queue" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "availableAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedUntil" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Delivery" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "activityId" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "inbox" TEXT NOT NULL,
    "recipient" TEXT,
    "messageId" TEXT,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedUntil" DATETIME,
    "lastStatus" INTEGER,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Delivery_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RemoteActor" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "handle" TEXT,
    "name" TEXT,
    "host" TEXT NOT NULL,
    "inbox" TEXT NOT NULL,
    "sharedInbox" TEXT,
    "url" TEXT,
    "iconUrl" TEXT,
    "followersUrl" TEXT,
    "gone" BOOLEAN NOT NULL DEFAULT false,
    "fetchedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Follow" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "direction" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "activityId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Block" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Conversation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "participantKey" TEXT NOT NULL,
    "lastMessageAt" DATETIME NOT NULL,
    "unreadCount" INTEGER NOT NULL DEFAULT 0,
    "isRequest" BOOLEAN NOT NULL DEFAULT false,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ConversationParticipant" (
    "conversationId" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,

    PRIMARY KEY ("conversationId", "actorId"),
    CONSTRAINT "ConversationParticipant_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ConversationRef" (
    "uri" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,

    PRIMARY KEY ("uri", "conversationId"),
    CONSTRAINT "ConversationRef_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Message" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "conversationId" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "authorId" TEXT NOT NULL,
    "inReplyTo" TEXT,
    "html" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "summary" TEXT,
    "attachments" TEXT NOT NULL DEFAULT '[]',
    "objectJson" TEXT,
    "published" DATETIME NOT NULL,
    "updated" DATETIME,
    "deletedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Message_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "KvEntry_expiresAt_idx" ON "KvEntry"("expiresAt");

-- CreateIndex
CREATE INDEX "QueueMessage_queue_availableAt_idx" ON "QueueMessage"("queue", "availableAt");

-- CreateIndex
CREATE INDEX "Delivery_state_nextAttemptAt_idx" ON "Delivery"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Delivery_messageId_idx" ON "Delivery"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "Delivery_activityId_inbox_key" ON "Delivery"("activityId", "inbox");

-- CreateIndex
CREATE INDEX "RemoteActor_handle_idx" ON "RemoteActor"("handle");

-- CreateIndex
CREATE UNIQUE INDEX "Follow_direction_actorId_key" ON "Follow"("direction", "actorId");

-- CreateIndex
CREATE UNIQUE INDEX "Block_kind_value_key" ON "Block"("kind", "value");

-- CreateIndex
CREATE INDEX "Conversation_lastMessageAt_idx" ON "Conversation"("lastMessageAt");

-- CreateIndex
CREATE INDEX "Conversation_participantKey_idx" ON "Conversation"("participantKey");

-- CreateIndex
CREATE UNIQUE INDEX "Message_objectId_key" ON "Message"("objectId");

-- CreateIndex
CREATE INDEX "Message_conversationId_published_idx" ON "Message"("conversationId", "published");
