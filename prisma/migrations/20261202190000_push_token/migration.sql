-- Mastodon's push payload carries the access token of the app that subscribed, but tokens are
-- stored only as SHA-256. The subscribing request's token is kept encrypted (AES-256-GCM, key
-- derived from the auth secret in the data dir: lib/domain/push-token.ts), so a copy of the
-- database alone does not give the tokens away.
ALTER TABLE "PushSubscription" ADD COLUMN "tokenCipher" TEXT;
