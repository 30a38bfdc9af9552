import { createHash, createHmac, sign as rsaSign, type KeyObject } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

// Wire-level tools for tests/integration/hostile-inbox.test.ts: a request
// builder that signs draft-cavage HTTP signatures and then breaks them in
// every way one knob at a time (body, Digest, Date, key, keyId, algorithm,
// header list, content type, method, size, chunking), a raw HTTP client that
// sends exactly those bytes (duplicate headers, no Content-Length, chunked
// bodies larger than the server accepts), and a small "redirecting host" for
// keyIds that answer with a redirect.

export type Signer = {
  keyId: string;
  key: KeyObject;
  /** Signed header names; default `(request-target) host date digest content-type` (those present). */
  headers?: string[];
  /** The `algorithm` parameter; null leaves it out. Default rsa-sha256. */
  algorithm?: string | null;
  /** Compute the signature as an HMAC with this secret instead of RSA (algorithm confusion). */
  hmacSecret?: string | Buffer;
  /** Replace the computed signature value. */
  signature?: string;
  /** Extra `name="value"` parameters appended to the Signature header. */
  extra?: string;
};

export type Knobs = {
  method?: string;
  /** null → no Content-Type header. */
  contentType?: string | null;
  /** The Date header; null → none. Default: now. */
  date?: string | null;
  /** The Date value put into the signing string (default: the Date header). */
  signedDate?: string;
  /** Digest header line(s): a string, several (duplicate header lines), or null for none. Default: SHA-256 of the body. */
  digest?: string | string[] | null;
  /** The Digest value put into the signing string (default: the header lines joined with ", "). */
  signedDigest?: string;
  /** How to sign; null → no Signature header. */
  sign?: Signer | null;
  /** The whole Signature header value (or several lines), instead of a computed one. */
  rawSignature?: string | string[];
  /** The body actually sent (after digesting and signing). */
  bodyOnWire?: Buffer;
  extraHeaders?: [string, string][];
  /** Send the body chunked, without Content-Length. */
  chunked?: boolean;
  /** Declared Content-Length, whatever the body is. */
  contentLength?: number;
};

export type Wire = { method: string; url: URL; headers: [string, string][]; body: Buffer; chunked: boolean };

export function sha256Digest(body: Buffer | string): string {
  return `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
}

export function sha512Digest(body: Buffer | string): string {
  return `SHA-512=${createHash("sha512").update(body).digest("base64")}`;
}

/** A request to `url` with `body`, signed and then tampered as the knobs say. */
export function buildRequest(url: string, body: Buffer | string, k: Knobs = {}): Wire {
  const target = new URL(url);
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  const method = k.method ?? "POST";
  const contentType = k.contentType === undefined ? "application/activity+json" : k.contentType;
  const date = k.date === undefined ? new Date().toUTCString() : k.date;
  const digests = k.digest === undefined ? [sha256Digest(bytes)] : k.digest === null ? [] : Array.isArray(k.digest) ? k.digest : [k.digest];

  const headers: [string, string][] = [["host", target.host]];
  if (date !== null) headers.push(["date", date]);
  for (const d of digests) headers.push(["digest", d]);
  if (contentType !== null) headers.push(["content-type", contentType]);

  const values: Record<string, string> = {
    host: target.host,
    date: k.signedDate ?? date ?? "",
    digest: k.signedDigest ?? digests.join(", "),
    "content-type": contentType ?? "",
  };

  if (k.rawSignature !== undefined) {
    for (const s of Array.isArray(k.rawSignature) ? k.rawSignature : [k.rawSignature]) headers.push(["signature", s]);
  } else if (k.sign) {
    const s = k.sign;
    const names =
      s.headers ??
      ["(request-target)", "host", ...(date !== null ? ["date"] : []), ...(digests.length > 0 ? ["digest"] : []), ...(contentType !== null ? ["content-type"] : [])];
    const signingString = names
      .map((n) => (n === "(request-target)" ? `(request-target): ${method.toLowerCase()} ${target.pathname}${target.search}` : `${n}: ${values[n] ?? ""}`))
      .join("\n");
    const signature =
      s.signature ??
      (s.hmacSecret !== undefined
        ? createHmac("sha256", s.hmacSecret).update(signingString).digest("base64")
        : rsaSign("sha256", Buffer.from(signingString), s.key).toString("base64"));
    const params = [`keyId="${s.keyId}"`];
    const algorithm = s.algorithm === undefined ? "rsa-sha256" : s.algorithm;
    if (algorithm !== null) params.push(`algorithm="${algorithm}"`);
    params.push(`headers="${names.join(" ")}"`, `signature="${signature}"`);
    if (s.extra) params.push(s.extra);
    headers.push(["signature", params.join(",")]);
  }
  for (const h of k.extraHeaders ?? []) headers.push(h);
  const sent = k.bodyOnWire ?? bytes;
  if (k.contentLength !== undefined) headers.push(["content-length", String(k.contentLength)]);
  else if (!k.chunked) headers.push(["content-length", String(sent.length)]);
  return { method, url: target, headers, body: sent, chunked: k.chunked ?? false };
}

export type Outcome = { status: number; body: string; error?: string; ms: number };

/**
 * Send exactly this request. A large body goes out in 64 KiB pieces, and the
 * sender stops as soon as the server has answered (an early 413), so the
 * answer is read rather than lost in a reset connection.
 */
export function sendWire(w: Wire, timeoutMs = 30_000): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Omit<Outcome, "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...o, ms: Date.now() - started });
    };
    const flat: string[] = [];
    for (const [k, v] of w.headers) flat.push(k, v);
    if (w.chunked) flat.push("transfer-encoding", "chunked");
    const agent = new http.Agent({ keepAlive: false });
    const req = http.request(
      { host: w.url.hostname, port: w.url.port, path: w.url.pathname + w.url.search, method: w.method, headers: flat, agent, setHost: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          if (text.length < 4096) text += d;
        });
        res.on("end", () => done({ status: res.statusCode ?? 0, body: text }));
        res.on("error", (e) => done({ status: res.statusCode ?? 0, body: text, error: String(e) }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: 0, body: "", error: `no answer in ${timeoutMs} ms` });
    }, timeoutMs);
    req.on("error", (e) => {
      // The server may close the connection right after an early answer; give the answer a moment to arrive.
      setTimeout(() => done({ status: 0, body: "", error: String(e) }), 200);
    });
    let answered = false;
    req.on("response", () => (answered = true));
    if (w.body.length <= 64 * 1024) {
      req.end(w.body);
      return;
    }
    void (async () => {
      for (let at = 0; at < w.body.length && !answered && !req.destroyed; at += 64 * 1024) {
        const ok = req.write(w.body.subarray(at, at + 64 * 1024));
        if (!ok) await drained(req);
      }
      // Once answered, the rest of the body is not wanted; the server closes the connection.
      if (!req.destroyed && !answered) req.end();
    })().catch(() => {});
  });
}

function drained(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      req.off("drain", go).off("close", go);
      resolve();
    };
    req.on("drain", go).on("close", go);
  });
}

/** Run `tasks` with at most `limit` in flight. */
export async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/**
 * A host whose URLs redirect: `/go?to=URL` answers 302 to URL, `/loop`
 * redirects to itself (and gives up with a 404 after LOOP_LIMIT hops, so a
 * client that never stops does not spin forever), `/chain/N` to `/chain/N-1`
 * and `/chain/0` to `/gone` (404). It also serves documents at fixed paths,
 * like a peer, and documents computed per request (the Nth fetch may differ).
 */
export class RedirectHost {
  static readonly LOOP_LIMIT = 40;
  url = "";
  host = "";
  readonly documents = new Map<string, unknown>();
  /** Documents computed per request: the function gets how often this path was fetched before. */
  readonly dynamic = new Map<string, (fetchedBefore: number) => unknown>();
  readonly fetches = new Map<string, number>();
  hits = 0;
  loopHits = 0;
  private server!: http.Server;

  static async start(): Promise<RedirectHost> {
    const r = new RedirectHost();
    r.server = http.createServer((req, res) => r.handle(req, res));
    await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", resolve));
    const { port } = r.server.address() as AddressInfo;
    r.url = `http://127.0.0.1:${port}`;
    r.host = `127.0.0.1:${port}`;
    return r;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.hits++;
    req.resume();
    const u = new URL(req.url ?? "/", this.url);
    const redirect = (to: string, status = 302): void => {
      res.writeHead(status, { location: to }).end();
    };
    if (u.pathname === "/go") return redirect(u.searchParams.get("to") ?? "/");
    if (u.pathname === "/loop") {
      this.loopHits++;
      if (this.loopHits > RedirectHost.LOOP_LIMIT) return void res.writeHead(404).end();
      return redirect(`${this.url}/loop`);
    }
    const chain = /^\/chain\/(\d+)$/.exec(u.pathname);
    if (chain) return redirect(Number(chain[1]) > 0 ? `/chain/${Number(chain[1]) - 1}` : "/gone", 301);
    const before = this.fetches.get(u.pathname) ?? 0;
    this.fetches.set(u.pathname, before + 1);
    const make = this.dynamic.get(u.pathname);
    if (req.method === "GET" && make) {
      res.writeHead(200, { "content-type": "application/ld+json" }).end(JSON.stringify(make(before)));
      return;
    }
    if (req.method === "GET" && this.documents.has(u.pathname)) {
      res.writeHead(200, { "content-type": "application/activity+json" }).end(JSON.stringify(this.documents.get(u.pathname)));
      return;
    }
    res.writeHead(404).end();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
