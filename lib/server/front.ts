import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { CLIENT_ADDRESS_HEADER, FRONT_SECRET_HEADER } from "../client-address";
import { inboxRecipient } from "../federation/inbound/accept";
import { AddressLimit, addressGroup } from "./address-limit";
import { answerInbox } from "./inbox-answer";
import { lingerThenClose } from "./linger";
import { BodyBudget, readBody } from "./request-body";
import { attachStreaming } from "./streaming-socket";
import { routeHttpRequest } from "./tls-policy";

// The public listener. It answers inbox POSTs itself
// (lib/federation/inbound/accept.ts) and forwards every other request to
// Next's request handler on a private loopback port (in this same process:
// lib/server/next-app.ts). It owns what Next cannot do safely itself: the
// client's address (Next trusts any X-Forwarded-For a client sends), a hard
// cap on request bodies (Next buffers, then silently truncates), and slow or
// numerous clients (each body is read here in full before the app server is
// asked, so a slow sender never holds one of its connections).

export type FrontOptions = {
  host: string;
  port: number;
  upstreamPort: number;
  trustProxy: boolean;
  /** Largest request body accepted anywhere (the avatar upload is the biggest). */
  maxBodyBytes: number;
  /** Smaller cap for ActivityPub inbox POSTs. */
  maxInboxBodyBytes: number;
  /** Request bodies held in memory at once, all clients together. */
  maxBufferedBytes: number;
  /** Connections one client address (an IPv6 /64) may hold open; requests in flight behind a trusted proxy. */
  maxPerClient: number;
  /** Sent to the app server with every request, so it knows the request came through here (lib/client-address.ts). */
  frontSecret: string;
  /** Answers the requests the front serves itself (true when it did); the rest go to the app server. */
  answerLocally?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
};

const FORWARDED = ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "forwarded"];
// Meaningful only between the client and the front; the body goes on whole, with its length.
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "expect", "content-length"];

/** How long a response may wait for the client to read what was sent before the connection is closed. */
const STALLED_RESPONSE_MS = 60_000;

/** A fresh secret for the front and the app server to share for one run. */
export function newFrontSecret(): string {
  return randomBytes(32).toString("base64url");
}

function clientAddress(req: http.IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    // The proxy appends the address it saw last; earlier entries are the client's claims.
    const xff = req.headers["x-forwarded-for"];
    const list = (Array.isArray(xff) ? xff.join(",") : (xff ?? "")).split(",").map((s) => s.trim()).filter(Boolean);
    if (list.length > 0) return list[list.length - 1];
  }
  return (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
}

function pathOf(req: http.IncomingMessage): string {
  return (req.url ?? "").split("?")[0];
}

function isInbox(req: http.IncomingMessage): boolean {
  return /(^|\/)inbox\/?$/.test(pathOf(req));
}

function bodyLimitFor(req: http.IncomingMessage, o: Pick<FrontOptions, "maxBodyBytes" | "maxInboxBodyBytes">): number {
  return isInbox(req) ? o.maxInboxBodyBytes : o.maxBodyBytes;
}

function sendJson(res: http.ServerResponse, status: number, body: object, extra: http.OutgoingHttpHeaders = {}) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", connection: "close", ...extra });
  res.end(JSON.stringify(body));
}

const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];
/** Route handlers that Mastodon apps POST to without an Origin; they take no cookie (lib/api/). */
const OAUTH_APP_POSTS = ["/oauth/token", "/oauth/revoke"];

/**
 * Pages take POSTs only as server actions: with a Next-Action header from
 * JavaScript, or as a plain form whose fields name the action ($ACTION_ID_…).
 * Either must come from a page of this site, which browsers say in Origin;
 * one from another site, or without an Origin at all, is refused here. Route
 * handlers (/api/…, next-auth with its own CSRF token, /oauth/token and
 * /oauth/revoke) and inboxes (servers send no Origin) take requests from anywhere.
 */
function isCrossSitePost(req: http.IncomingMessage, trustProxy: boolean): boolean {
  if (SAFE_METHODS.includes(req.method ?? "GET")) return false;
  const path = pathOf(req);
  if (req.headers["next-action"] === undefined && (path.startsWith("/api/") || OAUTH_APP_POSTS.includes(path) || isInbox(req))) return false;
  const origin = req.headers.origin;
  if (!origin) return true;
  const forwardedHost = trustProxy ? String(req.headers["x-forwarded-host"] ?? "").split(",")[0].trim() : "";
  try {
    return new URL(origin).host !== (forwardedHost || req.headers.host);
  } catch {
    return true;
  }
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Answer at once, then read and drop what the client is still sending for
 * a few seconds: closing now would reset the connection under a client busy
 * sending (a declared or a chunked body alike), which then sees a network
 * error instead of the answer, and retries.
 */
function refuseWhileSending(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: object, extra: http.OutgoingHttpHeaders = {}): void {
  req.resume();
  const linger = lingerThenClose(req.socket, 5_000);
  req.once("end", linger.release);
  sendJson(res, status, body, { connection: "keep-alive", ...extra });
}

function refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse, limit: number): void {
  refuseWhileSending(req, res, 413, { error: `Request body is larger than ${limit} bytes.` });
}

/** A slow sender gets its answer and the connection is closed; what it still sends is dropped meanwhile. */
function refuseSlow(req: http.IncomingMessage, res: http.ServerResponse, error: string): void {
  req.resume();
  lingerThenClose(req.socket, 2_000);
  sendJson(res, 408, { error });
}

/** Copy the app server's response to the client; a client that stops reading for a minute is cut off. */
function relay(upRes: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
  // Server-Sent Events and streamed pages go out as they come; only the client's reading is watched.
  let stalled: NodeJS.Timeout | undefined;
  upRes.on("data", (chunk: Buffer) => {
    if (res.write(chunk)) return;
    upRes.pause();
    stalled = setTimeout(() => res.destroy(), STALLED_RESPONSE_MS);
    res.once("drain", () => {
      clearTimeout(stalled);
      upRes.resume();
    });
  });
  upRes.on("end", () => res.end());
  upRes.on("error", () => res.destroy());
  res.on("close", () => clearTimeout(stalled));
}

/** The request handler that checks a request, reads its body, and answers an inbox POST or forwards it to Next. */
function proxyHandler(o: Omit<FrontOptions, "host" | "port">, requests: AddressLimit): Handler {
  // A connection per request in flight; bodies arrive complete, so only responses hold one.
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 64 });
  // Inbox-sized bodies keep a share of the budget for themselves.
  const budget = new BodyBudget(o.maxBufferedBytes, Math.min(o.maxBufferedBytes / 4, 64 * o.maxInboxBodyBytes), o.maxInboxBodyBytes);

  return async (req, res) => {
    const address = clientAddress(req, o.trustProxy);
    if (o.trustProxy) {
      // Behind a proxy every connection comes from the proxy: count requests per client instead.
      const group = addressGroup(address);
      if (!requests.enter(group)) {
        req.resume();
        sendJson(res, 429, { error: "Too many requests at once from your address; try again in a moment." }, { "retry-after": "5" });
        return;
      }
      res.once("close", () => requests.leave(group));
    }
    if (o.answerLocally?.(req, res)) return;

    const limit = bodyLimitFor(req, o);
    const declared = Number(req.headers["content-length"] ?? "0");
    if (Number.isFinite(declared) && declared > limit) {
      refuseTooLarge(req, res, limit);
      return;
    }

    // An inbox takes POSTs (GET and HEAD go on to a 404 or a collection). Fedify
    // would run a PUT, DELETE or PATCH to the shared inbox as if it were a POST.
    if (isInbox(req) && !["GET", "HEAD", "POST"].includes(req.method ?? "")) {
      req.resume();
      sendJson(res, 405, { error: "An inbox takes POST requests." }, { allow: "GET, HEAD, POST" });
      return;
    }

    if (isCrossSitePost(req, o.trustProxy)) {
      req.resume();
      sendJson(res, 403, { error: "Cross-site request refused." });
      return;
    }

    const read = await readBody(req, limit, budget);
    if (!read.ok) {
      if (read.status === 413) refuseTooLarge(req, res, limit);
      else if (read.status === 503) refuseWhileSending(req, res, 503, { error: read.error }, { "retry-after": "5" });
      else if (read.status === 408) refuseSlow(req, res, read.error);
      return;
    }
    if (res.destroyed) {
      read.release();
      return;
    }
    const inbox = req.method === "POST" ? inboxRecipient(pathOf(req)) : undefined;
    if (inbox) {
      await answerInbox(req, res, read.body, inbox.recipient).finally(read.release);
      return;
    }

    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    delete headers[CLIENT_ADDRESS_HEADER];
    delete headers[FRONT_SECRET_HEADER];
    if (!o.trustProxy) for (const h of FORWARDED) delete headers[h];
    headers[CLIENT_ADDRESS_HEADER] = address;
    headers[FRONT_SECRET_HEADER] = o.frontSecret;
    if (read.body.length > 0 || !SAFE_METHODS.includes(req.method ?? "GET")) headers["content-length"] = String(read.body.length);

    const forward = (retried: boolean) => {
      const upstream = http.request({ host: "127.0.0.1", port: o.upstreamPort, method: req.method, path: req.url, headers, agent }, (upRes) =>
        relay(upRes, res),
      );
      let again = false;
      upstream.on("error", (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the app server closed just as it was reused: it
        // never saw the request, and the body is still here, so send it once more.
        if (!retried && upstream.reusedSocket && err.code === "ECONNRESET" && !res.headersSent && !res.destroyed) {
          again = true;
          forward(true);
          return;
        }
        read.release();
        const starting = err.code === "ECONNREFUSED";
        sendJson(
          res,
          starting ? 503 : 502,
          { error: starting ? "Moiety is starting; try again in a moment." : "The app server did not answer." },
          starting ? { "retry-after": "2" } : {},
        );
      });
      // The body stays in memory (and counted) until the app server has answered or the attempt has failed.
      upstream.on("response", read.release).on("close", () => again || read.release());
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(read.body);
    };
    forward(false);
  };
}

/** Close connections beyond `max` per client address group at once (not behind a trusted proxy, where all come from it). */
function limitConnections(server: http.Server, o: Pick<FrontOptions, "trustProxy" | "maxPerClient">): void {
  if (o.trustProxy) return;
  const connections = new AddressLimit(o.maxPerClient);
  server.on("connection", (socket: Socket) => {
    const group = addressGroup(socket.remoteAddress ?? "unknown");
    if (!connections.enter(group)) {
      socket.destroy();
      return;
    }
    socket.once("close", () => connections.leave(group));
  });
}

/**
 * Headers must arrive within 10 s (Node answers 408 and closes), checked every
 * second; the body has its own rules (request-body.ts), so Node's whole-request
 * timeout is off. Idle keep-alive connections close after 65 s.
 */
const SERVER_TIMEOUTS = { headersTimeout: 10_000, requestTimeout: 0, connectionsCheckingInterval: 1_000 };

function tune(server: http.Server, o: Pick<FrontOptions, "trustProxy" | "maxPerClient">): void {
  // Server-Sent Events stay open; only idle keep-alive sockets are closed.
  server.keepAliveTimeout = 65_000;
  limitConnections(server, o);
}

/** Listen; a failure carries the port it was for (`err.port`). */
function listen<S extends http.Server>(server: S, port: number, host: string): Promise<S> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException & { port?: number }) => {
      err.port = port;
      reject(err);
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server);
    });
  });
}

/**
 * The app server, plus the streaming API's WebSocket upgrades (lib/server/streaming-socket.ts).
 * Behind a trusted proxy, requests in flight and open sockets count against one limit per client.
 */
function serveApp(server: http.Server, o: Omit<FrontOptions, "host" | "port">): Handler {
  const requests = new AddressLimit(o.maxPerClient);
  attachStreaming(server, {
    upstreamPort: o.upstreamPort,
    frontSecret: o.frontSecret,
    trustProxy: o.trustProxy,
    clientAddress: (req) => clientAddress(req, o.trustProxy),
    requests,
  });
  return proxyHandler(o, requests);
}

/** Plain HTTP on HOST:PORT (MOIETY_TLS=off: development, or behind a reverse proxy). */
export function startFront(o: FrontOptions): Promise<http.Server> {
  const server = http.createServer(SERVER_TIMEOUTS);
  server.on("request", serveApp(server, o));
  tune(server, o);
  return listen(server, o.port, o.host);
}

export type TlsFrontOptions = Omit<FrontOptions, "port"> & {
  httpPort: number;
  httpsPort: number;
  /** The public https origin that the plain-HTTP port redirects to. */
  origin: string;
  /** The key authorization for an open ACME HTTP-01 challenge token, if any. */
  challengeResponse: (token: string) => string | undefined;
};

export type TlsFront = {
  http: http.Server;
  https: https.Server;
  /** Serve this certificate to new connections from now on (no restart). */
  setCertificate: (pair: { key: string; cert: string }) => void;
  hasCertificate: () => boolean;
  close: () => void;
  closeIdleConnections: () => void;
  closeAllConnections: () => void;
};

/** Answers ACME challenges; sends everything else to the https origin. */
function challengeOrRedirect(o: TlsFrontOptions): Handler {
  return (req, res) => {
    req.resume();
    const route = routeHttpRequest(req.method, req.url, o.origin);
    if (route.kind === "challenge") {
      const answer = o.challengeResponse(route.token);
      res.writeHead(answer ? 200 : 404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : (answer ?? "Unknown challenge.\n"));
    } else if (route.kind === "redirect") {
      res.writeHead(route.status, { location: route.location, "content-type": "text/plain; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : `Moved to ${route.location}\n`);
    } else {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" });
      res.end("Bad request.\n");
    }
  };
}

/**
 * Built-in HTTPS (MOIETY_TLS=acme): TLS on HOST:httpsPort in front of Next,
 * and plain HTTP on HOST:httpPort for ACME challenges and redirects. Until a
 * certificate is set, TLS handshakes fail (there is nothing honest to serve).
 */
export async function startTlsFront(o: TlsFrontOptions): Promise<TlsFront> {
  let current = false;
  const secure = https.createServer({ minVersion: "TLSv1.2", handshakeTimeout: 10_000, ...SERVER_TIMEOUTS });
  secure.on("request", serveApp(secure, o));
  tune(secure, o);
  // Without a certificate a handshake fails; that is expected, not worth a crash or a log line.
  secure.on("tlsClientError", () => {});
  // Bodies sent here are dropped, so the whole request may take 30 s at most.
  const plain = http.createServer({ ...SERVER_TIMEOUTS, requestTimeout: 30_000 }, challengeOrRedirect(o));
  tune(plain, o);

  await listen(plain, o.httpPort, o.host);
  try {
    await listen(secure, o.httpsPort, o.host);
  } catch (err) {
    plain.close();
    throw err;
  }
  const both = [plain, secure];
  return {
    http: plain,
    https: secure,
    setCertificate: (pair) => {
      secure.setSecureContext({ key: pair.key, cert: pair.cert, minVersion: "TLSv1.2" });
      current = true;
    },
    hasCertificate: () => current,
    close: () => both.forEach((s) => s.close()),
    closeIdleConnections: () => both.forEach((s) => s.closeIdleConnections()),
    closeAllConnections: () => both.forEach((s) => s.closeAllConnections()),
  };
}

export function listeningPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}
