-- The fast inbox (issue 15): the front accepts an inbox POST by committing it here before its 202;
-- a worker in the same process applies it (lib/federation/inbound/). Keys are kept verified.
CREATE TABLE "InboxActivity" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "activityId" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "recipient" TEXT,
    "body" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "doneAt" DATETIME,
    "outcome" TEXT
);

CREATE UNIQUE INDEX "InboxActivity_activityId_key" ON "InboxActivity"("activityId");
CREATE INDEX "InboxActivity_doneAt_seq_idx" ON "InboxActivity"("doneAt", "seq");

CREATE TABLE "RemoteKey" (
    "keyId" TEXT NOT NULL PRIMARY KEY,
    "ownerId" TEXT NOT NULL,
    "publicKeyPem" TEXT NOT NULL,
    "fetchedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX "RemoteKey_ownerId_idx" ON "RemoteKey"("ownerId");
