-- Numeric ids for the Mastodon client API. Apps compare ids as numbers (or as
-- decimal strings by length, then lexically) to order and page statuses, so
-- messages, conversations and remote accounts get a Snowflake-like id: the
-- millisecond in the high bits, a counter in the low 16. Triggers give every
-- new row one, whichever process inserts it (server, CLI, restore); an id is
-- never below the largest one given, so ids only grow.

ALTER TABLE "Message" ADD COLUMN "apiId" BIGINT;
ALTER TABLE "Conversation" ADD COLUMN "apiId" BIGINT;
ALTER TABLE "RemoteActor" ADD COLUMN "apiId" BIGINT;

-- Existing rows, numbered by when they were written (messages by when they were sent).
UPDATE "Message" SET "apiId" = n."v" FROM (
  SELECT rowid AS "r",
         (CAST(round((julianday("published") - 2440587.5) * 86400000) AS INTEGER) << 16)
           + ROW_NUMBER() OVER (PARTITION BY "published" ORDER BY rowid) - 1 AS "v"
    FROM "Message") AS n
 WHERE "Message".rowid = n."r";
UPDATE "Conversation" SET "apiId" = n."v" FROM (
  SELECT rowid AS "r",
         (CAST(round((julianday("createdAt") - 2440587.5) * 86400000) AS INTEGER) << 16)
           + ROW_NUMBER() OVER (PARTITION BY "createdAt" ORDER BY rowid) - 1 AS "v"
    FROM "Conversation") AS n
 WHERE "Conversation".rowid = n."r";
UPDATE "RemoteActor" SET "apiId" = n."v" FROM (
  SELECT rowid AS "r",
         (CAST(round((julianday("fetchedAt") - 2440587.5) * 86400000) AS INTEGER) << 16)
           + ROW_NUMBER() OVER (PARTITION BY "fetchedAt" ORDER BY rowid) - 1 AS "v"
    FROM "RemoteActor") AS n
 WHERE "RemoteActor".rowid = n."r";

CREATE UNIQUE INDEX "Message_apiId_key" ON "Message"("apiId");
CREATE UNIQUE INDEX "Conversation_apiId_key" ON "Conversation"("apiId");
CREATE UNIQUE INDEX "RemoteActor_apiId_key" ON "RemoteActor"("apiId");

CREATE TRIGGER "Message_apiId" AFTER INSERT ON "Message" WHEN NEW."apiId" IS NULL BEGIN
  UPDATE "Message" SET "apiId" = max(
      CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER) << 16,
      coalesce((SELECT max("apiId") FROM "Message"), 0) + 1)
   WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER "Conversation_apiId" AFTER INSERT ON "Conversation" WHEN NEW."apiId" IS NULL BEGIN
  UPDATE "Conversation" SET "apiId" = max(
      CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER) << 16,
      coalesce((SELECT max("apiId") FROM "Conversation"), 0) + 1)
   WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER "RemoteActor_apiId" AFTER INSERT ON "RemoteActor" WHEN NEW."apiId" IS NULL BEGIN
  UPDATE "RemoteActor" SET "apiId" = max(
      CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER) << 16,
      coalesce((SELECT max("apiId") FROM "RemoteActor"), 0) + 1)
   WHERE rowid = NEW.rowid;
END;
