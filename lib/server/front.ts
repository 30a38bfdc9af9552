import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { CLIENT_ADDRESS_HEADER } from "../client-address";
import { routeHttpRequest } from "./tls-policy";

// The public listener. It forwards every request to Next's standalone server
// on a private loopback port, and owns what Next cannot do safely itself:
// the client's address (Next trusts any X-Forwarded-For a client sends) and
// a hard cap on request bodies (Next buffers, then silently truncates).

export type FrontOptions = {
  host: string;
  port: number;
  upstreamPort: number;
  trustProxy: boolean;
  /** Largest request body accepted anywhere (the avatar upload is the biggest). */
  maxBodyBytes: number;
  /** Smaller cap for ActivityPub inbox POSTs. */
  maxInboxBodyBytes: number;
};

const FORWARDED = ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "forwarded"];

function clientAddress(req: http.IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    // The proxy appends the address it saw last; earlier entries are the client's claims.
    const xff = req.headers["x-forwarded-for"];
    const list = (Array.isArray(xff) ? xff.join(",") : (xff ?? "")).split(",").map((s) => s.trim()).filter(Boolean);
    if (list.length > 0) return list[list.length - 1];
  }
  return (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
}

function isInbox(req: http.IncomingMessage): boolean {
  return /(^|\/)inbox\/?$/.test((req.url ?? "").split("?")[0]);
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

/**
 * Server actions are POSTs carrying a Next-Action header. Next refuses a
 * cross-site one with a bare 500; refuse it here, clearly, before it gets there.
 */
function isCrossSiteAction(req: http.IncomingMessage, trustProxy: boolean): boolean {
  if (req.method !== "POST" || req.headers["next-action"] === undefined) return false;
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
 * Answer 413 at once, then read and drop what the client is still sending for
 * a few seconds: closing now would reset the connection under a client busy
 * sending (a declared or a chunked body alike), which then sees a network
 * error instead of the 413, and retries.
 */
function refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse, limit: number): void {
  req.resume();
  const linger = setTimeout(() => req.socket.destroy(), 5_000);
  req.once("end", () => clearTimeout(linger)).once("close", () => clearTimeout(linger));
  sendJson(res, 413, { error: `Request body is larger than ${limit} bytes.` }, { connection: "keep-alive" });
}

/** The request handler that checks a request and forwards it to Next. */
function proxyHandler(o: Omit<FrontOptions, "host" | "port">): Handler {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  return (req, res) => {
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

    if (isCrossSiteAction(req, o.trustProxy)) {
      req.resume();
      sendJson(res, 403, { error: "Cross-site request refused." });
      return;
    }

    const headers = { ...req.headers };
    delete headers[CLIENT_ADDRESS_HEADER];
    if (!o.trustProxy) for (const h of FORWARDED) delete headers[h];
    headers[CLIENT_ADDRESS_HEADER] = clientAddress(req, o.trustProxy);

    const upstream = http.request(
      { host: "127.0.0.1", port: o.upstreamPort, method: req.method, path: req.url, headers, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
        upRes.pipe(res);
        upRes.on("error", () => res.destroy());
      },
    );
    let refused = false;
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      if (refused) return; // we cut it off ourselves; the client has its 413
      const starting = err.code === "ECONNREFUSED";
      sendJson(
        res,
        starting ? 503 : 502,
        { error: starting ? "Moiety is starting; try again in a moment." : "The app server did not answer." },
        starting ? { "retry-after": "2" } : {},
      );
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });

    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        refused = true;
        req.off("data", count);
        req.unpipe(upstream);
        upstream.destroy();
        refuseTooLarge(req, res, limit);
      }
    };
    req.on("data", count);
    req.pipe(upstream);
  };
}

function tune(server: http.Server): void {
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  // Server-Sent Events stay open; only idle keep-alive sockets are closed.
  server.keepAliveTimeout = 65_000;
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

/** Plain HTTP on HOST:PORT (MOIETY_TLS=off: development, or behind a reverse proxy). */
export function startFront(o: FrontOptions): Promise<http.Server> {
  const server = http.createServer(proxyHandler(o));
  tune(server);
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
  const secure = https.createServer({ minVersion: "TLSv1.2" }, proxyHandler(o));
  tune(secure);
  // Without a certificate a handshake fails; that is expected, not worth a crash or a log line.
  secure.on("tlsClientError", () => {});
  const plain = http.createServer(challengeOrRedirect(o));
  plain.headersTimeout = 30_000;
  plain.requestTimeout = 30_000;

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
