-- Full-text search over DMs with SQLite FTS5 (raw SQL: Prisma has no FTS model).
-- An external-content index on Message.text, kept in step by triggers; the
-- search code joins back to Message by rowid.
CREATE VIRTUAL TABLE "MessageSearch" USING fts5(
    text,
    content = 'Message',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO "MessageSearch"(rowid, text) SELECT rowid, text FROM "Message";

CREATE TRIGGER "Message_search_insert" AFTER INSERT ON "Message" BEGIN
    INSERT INTO "MessageSearch"(rowid, text) VALUES (new.rowid, new.text);
END;

CREATE TRIGGER "Message_search_delete" AFTER DELETE ON "Message" BEGIN
    INSERT INTO "MessageSearch"("MessageSearch", rowid, text) VALUES ('delete', old.rowid, old.text);
END;

CREATE TRIGGER "Message_search_update" AFTER UPDATE OF text ON "Message" BEGIN
    INSERT INTO "MessageSearch"("MessageSearch", rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO "MessageSearch"(rowid, text) VALUES (new.rowid, new.text);
END;
