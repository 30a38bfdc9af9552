-- Notifications for the Mastodon client API (issue 13, item 6): a "mention"
-- for each incoming DM and a "follow" or "follow_request" for each inbound
-- Follow. The autoincrement id is the API id, so ids only grow.

CREATE TABLE "Notification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "type" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "messageId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Notification_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX "Notification_messageId_idx" ON "Notification"("messageId");
CREATE INDEX "Notification_actorId_idx" ON "Notification"("actorId");

-- What happened before, numbered in the order it happened (a DM and a Follow
-- at the same moment: the DM first).
INSERT INTO "Notification" ("type", "actorId", "messageId", "createdAt")
SELECT "type", "actorId", "messageId", "createdAt" FROM (
  SELECT 'mention' AS "type", "authorId" AS "actorId", "id" AS "messageId", "createdAt", 0 AS "k", rowid AS "r"
    FROM "Message" WHERE "direction" = 'in' AND "deletedAt" IS NULL
  UNION ALL
  SELECT CASE "state" WHEN 'accepted' THEN 'follow' ELSE 'follow_request' END, "actorId", NULL, "createdAt", 1, rowid
    FROM "Follow" WHERE "direction" = 'in'
) ORDER BY "createdAt", "k", "r";
