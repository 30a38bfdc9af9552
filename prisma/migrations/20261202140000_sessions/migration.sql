-- Server-side sessions (issue 12): logging out ends a session on the server, and Settings lists
-- and ends them.
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userAgent" TEXT NOT NULL DEFAULT '',
    "address" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX "Session_lastUsedAt_idx" ON "Session"("lastUsedAt");
