// A small HTTP/1.1 client over plain `net` sockets, for load generation:
// pre-built request bytes go out as they are, keep-alive, optionally
// pipelined, and only the status line, Content-Length / chunked framing and
// "connection: close" of each response are read. Several times cheaper per
// request than node:http, so the client is not what limits a benchmark.

import net from "node:net";

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** One keep-alive connection; send() may be called again before earlier answers arrive (pipelining). */
export class RawConnection {
  /** @param {{ host?: string, port: number, localAddress?: string, timeoutMs?: number }} options */
  constructor({ host = "127.0.0.1", port, localAddress, timeoutMs = 60_000 }) {
    Object.assign(this, { host, port, localAddress, timeoutMs });
    this.pending = []; // { resolve, t0 } in send order
    this.buf = Buffer.alloc(0);
    this.closed = true;
  }

  /** Resolves once connected; rejects with the socket error (e.g. ECONNREFUSED). */
  connect() {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port, localAddress: this.localAddress, noDelay: true });
      this.socket = s;
      this.buf = Buffer.alloc(0);
      const onError = (e) => {
        s.destroy();
        reject(e);
      };
      s.once("error", onError);
      s.once("connect", () => {
        s.off("error", onError);
        this.closed = false;
        s.setTimeout(this.timeoutMs, () => s.destroy(new Error("timeout")));
        s.on("data", (d) => this.onData(d));
        s.on("error", (e) => this.fail(`error:${e.code ?? e.message}`));
        s.on("close", () => this.fail("error:closed"));
        resolve(this);
      });
    });
  }

  /** Send request bytes; resolves with { status (number, or "error:…"), ms, end }. */
  send(bytes) {
    return new Promise((resolve) => {
      const t0 = performance.now();
      if (this.closed) return resolve({ status: "error:not connected", ms: 0, end: t0 });
      this.pending.push({ resolve, t0 });
      this.socket.write(bytes);
    });
  }

  /** Every request still waiting gets `status`; the connection is unusable afterwards. */
  fail(status) {
    this.closed = true;
    const now = performance.now();
    for (const p of this.pending.splice(0)) p.resolve({ status, ms: now - p.t0, end: now });
  }

  close() {
    this.closed = true;
    this.socket?.destroy();
  }

  onData(chunk) {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const head = this.buf.indexOf(CRLFCRLF);
      if (head < 0) return;
      const headText = this.buf.toString("latin1", 0, head);
      const status = Number(headText.slice(9, 12));
      const lower = headText.toLowerCase();
      const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
      let end;
      if (cl) {
        end = head + 4 + Number(cl[1]);
        if (this.buf.length < end) return;
      } else if (/\r\ntransfer-encoding:\s*chunked/.test(lower)) {
        end = chunkedEnd(this.buf, head + 4);
        if (end < 0) return;
      } else end = head + 4; // 1xx/204/304 or a bodiless answer
      this.buf = this.buf.subarray(end);
      const p = this.pending.shift();
      const now = performance.now();
      p?.resolve({ status, ms: now - p.t0, end: now });
      if (/\r\nconnection:\s*close/.test(lower)) {
        this.close();
        this.fail("error:closed");
        return;
      }
    }
  }
}

/** Where a chunked body that starts at `at` ends (after the last CRLF), or -1 if not all here yet. */
function chunkedEnd(buf, at) {
  for (;;) {
    const eol = buf.indexOf("\r\n", at, "latin1");
    if (eol < 0) return -1;
    const size = parseInt(buf.toString("latin1", at, eol), 16);
    if (size === 0) {
      const fin = buf.indexOf(CRLFCRLF, eol, "latin1");
      if (fin === eol) return eol + 4;
      return fin < 0 ? -1 : fin + 4;
    }
    at = eol + 2 + size + 2;
    if (buf.length < at) return -1;
  }
}

/**
 * Send each of `requests` (Buffers) once, `concurrency` connections with one
 * request in flight each (what a sender with that many parallel deliveries
 * does). `rate` (per second) paces the starts instead of going flat out.
 * `onResult(i, result)` sees each answer as it comes (e.g. to kill a server
 * mid-burst). Resolves with one { status, ms, end } per request; a request
 * that met a failed connection gets "error:…" and the next one reconnects.
 * @param {Buffer[]} requests
 * @param {{ host?: string, port: number, concurrency?: number, rate?: number, localAddress?: string, onResult?: (i: number, r: { status: number | string, ms: number, end: number }) => void }} options
 */
export async function sendAll(requests, { host = "127.0.0.1", port, concurrency = 32, rate = 0, localAddress, onResult }) {
  const results = new Array(requests.length);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    let conn = null;
    while (next < requests.length) {
      const i = next++;
      if (rate > 0) {
        const due = t0 + (i / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      if (!conn || conn.closed) {
        conn = new RawConnection({ host, port, localAddress });
        try {
          await conn.connect();
        } catch (e) {
          conn = null;
          results[i] = { status: `error:${e.code ?? e.message}`, ms: 0, end: performance.now() };
          onResult?.(i, results[i]);
          continue;
        }
      }
      results[i] = await conn.send(requests[i]);
      onResult?.(i, results[i]);
    }
    conn?.close();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return results;
}

/** { status: count } of results. */
export function histogram(results) {
  const h = {};
  for (const r of results) if (r) h[r.status] = (h[r.status] ?? 0) + 1;
  return h;
}
