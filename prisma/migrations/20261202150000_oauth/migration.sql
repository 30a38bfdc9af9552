-- The Mastodon client API's OAuth 2 (issue 13): registered apps, authorization codes and access
-- tokens, the codes and tokens stored only as sha256 hashes.
CREATE TABLE "OAuthApp" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clientId" TEXT NOT NULL,
    "clientSecret" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "redirectUris" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "website" TEXT,
    "bucket" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE "OAuthCode" (
    "codeHash" TEXT NOT NULL PRIMARY KEY,
    "appId" INTEGER NOT NULL,
    "redirectUri" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "codeChallenge" TEXT,
    "codeChallengeMethod" TEXT,
    "expiresAt" DATETIME NOT NULL,
    CONSTRAINT "OAuthCode_appId_fkey" FOREIGN KEY ("appId") REFERENCES "OAuthApp" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "ApiToken" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tokenHash" TEXT NOT NULL,
    "appId" INTEGER,
    "name" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "forOwner" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    "revokedAt" DATETIME,
    CONSTRAINT "ApiToken_appId_fkey" FOREIGN KEY ("appId") REFERENCES "OAuthApp" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "OAuthApp_clientId_key" ON "OAuthApp"("clientId");
CREATE INDEX "OAuthApp_bucket_createdAt_idx" ON "OAuthApp"("bucket", "createdAt");
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");
