-- A message's media are marked sensitive (the Note's `sensitive`, or a content warning):
-- Mastodon's `sensitive` flag, kept for both directions so apps and the web UI hide the images.
ALTER TABLE "Message" ADD COLUMN "sensitive" BOOLEAN NOT NULL DEFAULT false;
