import http from "node:http";
import type { AddressInfo } from "node:net";
import { CLIENT_ADDRESS_HEADER } from "../client-address";

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

function bodyLimitFor(req: http.IncomingMessage, o: FrontOptions): number {
  const path = (req.url ?? "").split("?")[0];
  return /(^|\/)inbox\/?$/.test(path) ? o.maxInboxBodyBytes : o.maxBodyBytes;
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

export function startFront(o: FrontOptions): Promise<http.Server> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const server = http.createServer((req, res) => {
    const limit = bodyLimitFor(req, o);
    const declared = Number(req.headers["content-length"] ?? "0");
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      sendJson(res, 413, { error: `Request body is larger than ${limit} bytes.` });
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
    upstream.on("error", (err: NodeJS.ErrnoException) => {
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
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.unpipe(upstream);
        upstream.destroy();
        sendJson(res, 413, { error: `Request body is larger than ${limit} bytes.` });
        req.destroy();
      }
    });
    req.pipe(upstream);
  });

  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  // Server-Sent Events stay open; only idle keep-alive sockets are closed.
  server.keepAliveTimeout = 65_000;

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

export function listeningPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}
