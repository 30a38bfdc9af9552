-- End-to-end encrypted DMs (issue 16, docs/E2EE.md): the owner's MLS devices, their published
-- KeyPackages, and every MLS envelope sent or received. Ciphertext and public keys only.
CREATE TABLE "MlsDevice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "signatureKey" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX "MlsDevice_signatureKey_key" ON "MlsDevice"("signatureKey");

CREATE TABLE "MlsKeyPackage" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "MlsKeyPackage_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "MlsDevice" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "MlsKeyPackage_deviceId_idx" ON "MlsKeyPackage"("deviceId");

CREATE TABLE "MlsEnvelope" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "objectId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "senderDevice" TEXT,
    "messageId" TEXT,
    "content" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "MlsEnvelope_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "MlsEnvelope_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "MlsEnvelope_objectId_key" ON "MlsEnvelope"("objectId");
CREATE UNIQUE INDEX "MlsEnvelope_messageId_key" ON "MlsEnvelope"("messageId");
CREATE INDEX "MlsEnvelope_conversationId_idx" ON "MlsEnvelope"("conversationId");

-- An encrypted Message shows a fixed placeholder; its text stays empty, so search indexes nothing.
ALTER TABLE "Message" ADD COLUMN "encrypted" BOOLEAN NOT NULL DEFAULT false;

-- A conversation's MLS envelopes reach each inbox in the order they were sent (lib/federation/outbound/delivery.ts).
ALTER TABLE "Delivery" ADD COLUMN "orderKey" TEXT;
CREATE INDEX "Delivery_orderKey_inbox_id_idx" ON "Delivery"("orderKey", "inbox", "id");
