import { db } from "../db";
import { findLiveToken, type TokenHolder } from "../domain/oauth";
import { changeStream } from "../federation/change-stream";
import { bearerOf } from "./auth";
import { api, ApiError, CORS_HEADERS } from "./http";
import { grants } from "./scopes";
import { StreamCursor, type StreamName } from "./stream-events";

// Mastodon's streaming API as Server-Sent Events (docs.joinmastodon.org/methods/streaming):
// GET /api/v1/streaming/user, /user/notification, /direct, or /api/v1/streaming?stream=…
// The WebSocket endpoint is served by the front server, which opens these
// streams over loopback and relays their events (lib/server/streaming-socket.ts).
// Changes are found as for the web UI's live updates (lib/federation/change-stream.ts).

const PATH_STREAMS: Record<string, StreamName> = { user: "user", "user/notification": "user:notification", direct: "direct" };
const STREAMS: ReadonlySet<string> = new Set(["user", "user:notification", "direct"]);

/** How often the token is looked at again: a revoked token ends the stream within this. */
const TOKEN_CHECK_MS = 2_000;
/** Mastodon's heartbeat comment interval. */
const HEARTBEAT_MS = 15_000;
const TICK_MS = 1_000;

/** The scope a stream needs besides `read` (as Mastodon's streaming server checks it). */
function scopeFor(stream: StreamName): string {
  return stream === "user:notification" ? "read:notifications" : "read:statuses";
}

/**
 * The token of a streaming request: the Authorization header or the `access_token` query (Mastodon
 * takes both). With no stream (the front checking a WebSocket's token) any streaming scope will do.
 */
export async function streamingToken(request: Request, stream: StreamName | null): Promise<TokenHolder> {
  const bearer = bearerOf(request) ?? new URL(request.url).searchParams.get("access_token");
  if (!bearer) throw new ApiError(401, "Missing access token");
  const token = await findLiveToken(bearer);
  if (!token || !token.forOwner) throw new ApiError(401, "Invalid access token");
  const scopes = stream ? [scopeFor(stream)] : ["read:statuses", "read:notifications"];
  if (!scopes.some((s) => grants(token.scopes, s))) throw new ApiError(401, "Access token does not have the required scopes");
  return token;
}

async function tokenIsLive(id: number): Promise<boolean> {
  const row = await db().apiToken.findUnique({ where: { id }, select: { revokedAt: true } });
  return row !== null && row.revokedAt === null;
}

/** The stream a request names; null for none (`/api/v1/streaming` alone). */
function streamOf(request: Request, path: string[]): StreamName | null {
  const joined = path.join("/");
  if (joined === "") {
    const asked = new URL(request.url).searchParams.get("stream") ?? "";
    if (STREAMS.has(asked)) return asked as StreamName;
    if (asked) throw new ApiError(404, "Unknown stream type");
    return null;
  }
  const stream = PATH_STREAMS[joined];
  if (!stream) throw new ApiError(404, "Unknown stream type");
  return stream;
}

/** An open event stream: the cursor looked at every second (or at once on a wake), the token every few seconds. */
function eventStream(request: Request, token: TokenHolder, cursor: StreamCursor): Response {
  let lastTokenCheck = Date.now();
  let lastWrite = Date.now();
  return changeStream(request, {
    hello: ":)\n\n",
    headers: CORS_HEADERS,
    intervalMs: TICK_MS,
    look: async ({ send, end }) => {
      if (Date.now() - lastTokenCheck >= TOKEN_CHECK_MS) {
        lastTokenCheck = Date.now();
        if (!(await tokenIsLive(token.id))) return end();
      }
      const batch = await cursor.next();
      for (const e of batch.events) {
        send(`event: ${e.event}\ndata: ${e.payload}\n\n`);
        lastWrite = Date.now();
      }
      if (Date.now() - lastWrite >= HEARTBEAT_MS) {
        send(":thump\n\n");
        lastWrite = Date.now();
      }
      return batch.more;
    },
  });
}

/** GET /api/v1/streaming[/user|/user/notification|/direct|/health] */
export const streamingGet = api(async (request, context) => {
  const raw = (await context.params).path;
  const path = Array.isArray(raw) ? raw : raw ? [raw] : [];
  if (path.join("/") === "health") {
    // As Mastodon answers it: plain text.
    return new Response("OK", { headers: { ...CORS_HEADERS, "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
  }
  const stream = streamOf(request, path);
  const token = await streamingToken(request, stream);
  // The token is good (the front asks this before it accepts a WebSocket); there is nothing to stream.
  if (stream === null) throw new ApiError(400, "Give a stream: user, user:notification or direct");
  const cursor = await StreamCursor.start(stream, grants(token.scopes, "read:notifications"));
  return eventStream(request, token, cursor);
});
