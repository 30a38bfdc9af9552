import { createHash } from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { CLIENT_ADDRESS_HEADER, FRONT_SECRET_HEADER } from "../client-address";
import { AddressLimit, addressGroup } from "./address-limit";

// Mastodon's WebSocket streaming (GET /api/v1/streaming, upgraded). Next's
// route handlers cannot take an upgrade, so the front takes it here and, for
// each stream the socket follows, reads the Server-Sent-Events stream of the
// same name from the app server over loopback (lib/api/streaming.ts) with the
// client's token, relaying every event as a text frame. The app server does
// all the checking (token, scopes, what may be seen); when it ends a stream
// (the token was revoked) the socket is closed.

export type StreamingOptions = {
  upstreamPort: number;
  frontSecret: string;
  trustProxy: boolean;
  /** The client's address, as the front works it out. */
  clientAddress: (req: http.IncomingMessage) => string;
  /** Behind a trusted proxy: what each client holds open, shared with the front's requests. */
  requests: AddressLimit;
};

/** The streams relayed from the app server; other Mastodon streams are accepted and stay silent. */
const RELAYED = new Set(["user", "user:notification", "direct"]);
const UPSTREAM_PATH: Record<string, string> = { user: "/api/v1/streaming/user", "user:notification": "/api/v1/streaming/user/notification", direct: "/api/v1/streaming/direct" };
/** Sockets one token may hold open at once. */
export const MAX_SOCKETS_PER_TOKEN = 16;
/** Silent subscriptions (hashtag, public…) remembered per socket. */
const MAX_OTHER_SUBSCRIPTIONS = 32;
/** A client message (subscribe/unsubscribe) is small. */
const MAX_MESSAGE_BYTES = 4096;
const PING_MS = 30_000;
/** Subscribe messages a socket may send per minute: each opens a stream on the app server. */
const SUBSCRIBES_PER_MINUTE = 60;
/** Frames waiting for a client that stopped reading; beyond this it is cut off. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export function isStreamingPath(url: string | undefined): boolean {
  const path = (url ?? "").split("?")[0];
  return path === "/api/v1/streaming" || path.startsWith("/api/v1/streaming/");
}

/** Mastodon's three ways to give the token: the query, the subprotocol (masto.js, Ice Cubes), the header. */
function tokenOf(req: http.IncomingMessage, url: URL): { token: string | null; protocol: string | null } {
  const protocol = String(req.headers["sec-websocket-protocol"] ?? "").split(",")[0].trim() || null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ""))?.[1] ?? null;
  return { token: url.searchParams.get("access_token") || protocol || bearer, protocol };
}

function refuse(socket: Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 2_000).unref();
}

/** A stream being relayed; `request` is null while it opens. */
type Upstream = { request: http.ClientRequest | null; stopped: boolean };

type Opened = { ok: true; response: http.IncomingMessage; request: http.ClientRequest } | { ok: false; status: number; error: string };

/** Open a stream (or, with no stream, just check the token) on the app server. */
function openUpstream(o: StreamingOptions, path: string, token: string, address: string): Promise<Opened> {
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port: o.upstreamPort,
        method: "GET",
        path,
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream", [CLIENT_ADDRESS_HEADER]: address, [FRONT_SECRET_HEADER]: o.frontSecret },
      },
      (response) => {
        if (response.statusCode === 200 && String(response.headers["content-type"] ?? "").startsWith("text/event-stream")) {
          resolve({ ok: true, response, request });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= 4096) chunks.push(c);
        });
        response.on("end", () => {
          let error = "The stream cannot be opened.";
          try {
            error = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error?: string }).error ?? error;
          } catch {
            // not JSON: keep the plain message
          }
          resolve({ ok: false, status: response.statusCode ?? 502, error });
        });
        response.on("error", () => resolve({ ok: false, status: 502, error: "The app server did not answer." }));
      },
    );
    request.on("error", () => resolve({ ok: false, status: 503, error: "Moiety is starting; try again in a moment." }));
    request.end();
  });
}

/** Call `onEvent` for each Server-Sent Event of a response; comments (heartbeats) are skipped. */
function readEvents(response: http.IncomingMessage, onEvent: (event: string, data: string) => void): void {
  let buffer = "";
  response.setEncoding("utf8");
  response.on("data", (chunk: string) => {
    buffer += chunk;
    let at: number;
    while ((at = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) onEvent(event, data.join("\n"));
    }
  });
}

/** Take WebSocket upgrades for the streaming API on this server (plain HTTP or TLS alike). */
export function attachStreaming(server: http.Server, o: StreamingOptions): void {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    // Echo the offered protocol (the token, from masto.js or Ice Cubes): Chromium drops a handshake without it.
    handleProtocols: (protocols) => protocols.values().next().value ?? false,
  });
  const perToken = new Map<string, number>();

  // Upgraded sockets are no longer the HTTP server's to close, yet they hold its
  // close() open: on shutdown they are told the server is going away (1001),
  // and cut when the server cuts every connection.
  const close = server.close.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.close = ((callback?: (err?: Error) => void) => {
    for (const ws of wss.clients) ws.close(1001, "The server is shutting down.");
    return close(callback);
  }) as typeof server.close;
  server.closeAllConnections = () => {
    for (const ws of wss.clients) ws.terminate();
    closeAll();
  };

  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (!isStreamingPath(req.url) || String(req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
      refuse(socket, 404, "Record not found");
      return;
    }
    const address = o.clientAddress(req);
    const group = addressGroup(address);
    if (o.trustProxy && !o.requests.enter(group)) {
      refuse(socket, 429, "Too many requests at once from your address; try again in a moment.");
      return;
    }
    let left = false;
    const leave = () => {
      if (!left && o.trustProxy) o.requests.leave(group);
      left = true;
    };
    socket.once("close", leave);
    void accept(req, socket, head, address).catch(() => {
      socket.destroy();
    });
  });

  async function accept(req: http.IncomingMessage, socket: Duplex, head: Buffer, address: string): Promise<void> {
    const url = new URL(req.url ?? "/", "http://front.invalid");
    const { token } = tokenOf(req, url);
    if (!token) return refuse(socket, 401, "Missing access token");
    const key = createHash("sha256").update(token).digest("hex");
    if ((perToken.get(key) ?? 0) >= MAX_SOCKETS_PER_TOKEN) return refuse(socket, 429, `At most ${MAX_SOCKETS_PER_TOKEN} streaming connections per access token.`);
    perToken.set(key, (perToken.get(key) ?? 0) + 1);
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      const n = (perToken.get(key) ?? 1) - 1;
      if (n > 0) perToken.set(key, n);
      else perToken.delete(key);
    };
    socket.once("close", release);

    // Check the token before the 101: a stream named in the query is opened now (its
    // scope checked too); without one, the app server only checks the token.
    const first = url.searchParams.get("stream");
    const opened = await openUpstream(o, first && RELAYED.has(first) ? UPSTREAM_PATH[first] : "/api/v1/streaming", token, address);
    // 400 from /api/v1/streaming: the token is good, there is just no stream named.
    const tokenOk = opened.ok || opened.status === 400;
    if (!tokenOk) return refuse(socket, opened.ok ? 500 : opened.status, opened.ok ? "" : opened.error);
    if (opened.ok) {
      // Whatever happens to the socket (gone already, or a handshake ws refuses), the stream goes with it.
      if (socket.destroyed) return void opened.request.destroy();
      socket.once("close", () => opened.request.destroy());
    } else if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      run(ws, token, address, first, opened.ok ? opened : null);
      ws.once("close", release);
    });
  }

  function run(ws: WebSocket, token: string, address: string, first: string | null, firstOpened: { response: http.IncomingMessage; request: http.ClientRequest } | null): void {
    const relayed = new Map<string, Upstream>();
    const others = new Set<string>();
    const subscribes: number[] = [];
    let closing = false;

    const close = (code: number, reason: string) => {
      if (closing) return;
      closing = true;
      for (const u of relayed.values()) {
        u.stopped = true;
        u.request?.destroy();
      }
      relayed.clear();
      ws.close(code, reason);
      // A client that never answers the close handshake is cut off.
      setTimeout(() => ws.terminate(), 5_000).unref();
    };

    const follow = (stream: string, opened: { response: http.IncomingMessage; request: http.ClientRequest }) => {
      const upstream: Upstream = { request: opened.request, stopped: false };
      relayed.set(stream, upstream);
      readEvents(opened.response, (event, payload) => {
        if (closing || upstream.stopped) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.terminate();
        ws.send(JSON.stringify({ stream: [stream], event, payload }));
      });
      const ended = (how: "end" | "error") => {
        if (upstream.stopped || closing) return;
        // The app server ends a stream when its token stops being valid.
        if (how === "end") close(1008, "The access token is no longer valid.");
        else close(1011, "The server is restarting; reconnect in a moment.");
      };
      opened.response.on("end", () => ended("end"));
      opened.response.on("error", () => ended("error"));
      opened.request.on("error", () => ended("error"));
    };

    const subscribe = async (stream: string) => {
      if (closing) return;
      if (!RELAYED.has(stream)) {
        if (others.size < MAX_OTHER_SUBSCRIPTIONS) others.add(stream);
        return;
      }
      if (relayed.has(stream)) return;
      // Reserve the name while the stream opens, so a repeated subscribe opens it once.
      const pending: Upstream = { request: null, stopped: false };
      relayed.set(stream, pending);
      const opened = await openUpstream(o, UPSTREAM_PATH[stream], token, address);
      if (closing || pending.stopped || relayed.get(stream) !== pending) {
        if (opened.ok) opened.request.destroy();
        return;
      }
      if (!opened.ok) {
        relayed.delete(stream);
        // As Mastodon reports a subscription it refuses.
        ws.send(JSON.stringify({ error: opened.error, status: opened.status }));
        if (opened.status === 401 && opened.error !== "Access token does not have the required scopes") close(1008, opened.error);
        return;
      }
      follow(stream, opened);
    };

    const unsubscribe = (stream: string) => {
      others.delete(stream);
      const u = relayed.get(stream);
      if (!u) return;
      u.stopped = true;
      u.request?.destroy();
      relayed.delete(stream);
    };

    if (first && firstOpened) follow(first, firstOpened);
    else if (first) others.add(first);

    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      let message: { type?: unknown; stream?: unknown };
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!message || typeof message !== "object" || typeof message.stream !== "string") return;
      if (message.type === "subscribe") {
        const now = Date.now();
        while (subscribes.length > 0 && now - subscribes[0] > 60_000) subscribes.shift();
        subscribes.push(now);
        // Subscribing and unsubscribing in a loop would open streams on the app server as fast as it can.
        if (subscribes.length > SUBSCRIBES_PER_MINUTE) return close(1008, "Too many subscribe messages; wait a minute.");
        void subscribe(message.stream);
      }
      else if (message.type === "unsubscribe") unsubscribe(message.stream);
    });

    let alive = true;
    ws.on("pong", () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_MS);
    ws.on("close", () => {
      clearInterval(ping);
      closing = true;
      for (const u of relayed.values()) {
        u.stopped = true;
        u.request?.destroy();
      }
      relayed.clear();
    });
    ws.on("error", () => ws.terminate());
  }
}
