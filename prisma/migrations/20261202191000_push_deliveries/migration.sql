-- The push queue (issue 14): one row per notification per subscription, made by a trigger in the
-- transaction that inserts the Notification, so no process that stores a notification can forget
-- its pushes and a crash cannot lose them. The worker (lib/federation/push-delivery.ts) drops the
-- rows a subscription's alerts or policy exclude without sending anything.
CREATE TABLE "PushDelivery" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "subscriptionId" INTEGER NOT NULL,
    "notificationId" INTEGER NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedUntil" DATETIME,
    "lastStatus" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PushDelivery_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "PushSubscription" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "PushDelivery_notificationId_fkey" FOREIGN KEY ("notificationId") REFERENCES "Notification" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "PushDelivery_subscriptionId_notificationId_key" ON "PushDelivery"("subscriptionId", "notificationId");
CREATE INDEX "PushDelivery_nextAttemptAt_idx" ON "PushDelivery"("nextAttemptAt");
CREATE INDEX "PushDelivery_notificationId_idx" ON "PushDelivery"("notificationId");

-- Times in the form Prisma's SQLite adapter writes (ISO 8601 with "+00:00"), so they compare as
-- text with the worker's. A revoked token's subscription gets nothing.
CREATE TRIGGER "Notification_push" AFTER INSERT ON "Notification" BEGIN
  INSERT OR IGNORE INTO "PushDelivery" ("subscriptionId", "notificationId", "attempts", "nextAttemptAt", "createdAt")
  SELECT s."id", NEW."id", 0,
         strftime('%Y-%m-%dT%H:%M:%f', 'now') || '+00:00',
         strftime('%Y-%m-%dT%H:%M:%f', 'now') || '+00:00'
    FROM "PushSubscription" s
   WHERE s."tokenId" IS NULL
      OR EXISTS (SELECT 1 FROM "ApiToken" t WHERE t."id" = s."tokenId" AND t."revokedAt" IS NULL);
END;
