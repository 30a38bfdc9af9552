-- Web Push subscriptions (issue 14): the owner's browsers and Mastodon apps (one per API token).
CREATE TABLE "PushSubscription" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "endpoint" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "standard" BOOLEAN NOT NULL DEFAULT false,
    "tokenId" INTEGER,
    "sessionId" TEXT,
    "deviceName" TEXT NOT NULL DEFAULT '',
    "alerts" TEXT NOT NULL DEFAULT '{}',
    "policy" TEXT NOT NULL DEFAULT 'all',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSuccessAt" DATETIME,
    CONSTRAINT "PushSubscription_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "ApiToken" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "PushSubscription_endpoint_key" ON "PushSubscription"("endpoint");
CREATE UNIQUE INDEX "PushSubscription_tokenId_key" ON "PushSubscription"("tokenId");
