import { db } from "../db";
import { findLiveToken, type TokenHolder } from "../domain/oauth";
import { deliveryEvents } from "../federation/delivery";
import { bearerOf } from "./auth";
import { api, ApiError, CORS_HEADERS } from "./http";
import { grants } from "./scopes";
import { StreamCursor, type StreamName } from "./stream-events";

// Mastodon's streaming API as Server-Sent Events (docs.joinmastodon.org/methods/streaming):
// GET /api/v1/streaming/user, /user/notification, /direct, or /api/v1/streaming?stream=…
// The WebSocket endpoint is served by the front server, which opens these
// streams over loopback and relays their events (lib/server/streaming-socket.ts).
// Like app/api/events/route.ts, changes are found in the database every
// second and right after an in-process wake, since other processes write too.

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

/** An open event stream: cursor checks every second (or at once on a wake), the token every few seconds. */
function eventStream(request: Request, token: TokenHolder, cursor: StreamCursor): Response {
  const encoder = new TextEncoder();
  let closed = false;
  let running = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastTokenCheck = Date.now();
  let lastWrite = Date.now();
  let send: (text: string) => void = () => undefined;
  let end: () => void = () => undefined;

  const close = () => {
    closed = true;
    clearTimeout(timer);
    deliveryEvents.off("updated", wake);
  };
  const wake = () => {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    void tick();
  };
  const tick = async () => {
    if (closed) return;
    running = true;
    let more = false;
    try {
      if (Date.now() - lastTokenCheck >= TOKEN_CHECK_MS) {
        lastTokenCheck = Date.now();
        if (!(await tokenIsLive(token.id))) return end();
      }
      const batch = await cursor.next();
      more = batch.more;
      for (const e of batch.events) send(`event: ${e.event}\ndata: ${e.payload}\n\n`);
      if (Date.now() - lastWrite >= HEARTBEAT_MS) send(":thump\n\n");
    } catch {
      // database busy: try again next tick
    } finally {
      running = false;
    }
    if (closed) return;
    if (again || more) {
      again = false;
      timer = setTimeout(tick, 0);
    } else {
      timer = setTimeout(tick, TICK_MS);
    }
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      send = (text) => {
        if (closed) return;
        lastWrite = Date.now();
        controller.enqueue(encoder.encode(text));
      };
      end = () => {
        if (closed) return;
        close();
        controller.close();
      };
      send(":)\n\n");
      deliveryEvents.on("updated", wake);
      timer = setTimeout(tick, TICK_MS);
    },
    cancel: close,
  });
  request.signal.addEventListener("abort", close);
  return new Response(stream, {
    headers: {
      ...CORS_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      "x-accel-buffering": "no",
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
