import type http from "node:http";

// The front reads each request body completely before it asks the app server
// anything. A client that sends its body a byte at a time then holds only a
// little memory in the front, never one of the app server's connections, and
// it is cut off when it falls behind: the body must keep coming (a few KiB
// every few seconds, or the rest of it), and all of it must arrive within a
// time that grows with its size. Bodies held in memory at once have a ceiling,
// with a share kept for inbox-sized ones so a flood of uploads does not stop
// deliveries.

export type BodyRules = {
  /** Each window of this length must bring `minBytesPerWindow` (or the rest of the body). */
  windowMs: number;
  minBytesPerWindow: number;
  /** The whole body must arrive within graceMs + size / minBytesPerSecond. */
  graceMs: number;
  minBytesPerSecond: number;
};

export const BODY_RULES: BodyRules = {
  windowMs: 5_000,
  minBytesPerWindow: 4 * 1024,
  graceMs: 10_000,
  // 16 KiB/s (128 kbit/s): a 1 MiB inbox POST gets 74 s, a 40 MiB upload 43 minutes.
  minBytesPerSecond: 16 * 1024,
};

/** The bytes of request bodies held in memory, across all requests. */
export class BodyBudget {
  private used = 0;
  /**
   * @param total     bytes that may be held at once
   * @param reserve   of which this much only for bodies of at most `smallSize` bytes
   */
  constructor(
    readonly total: number,
    readonly reserve: number,
    readonly smallSize: number,
  ) {}

  /** Hold `n` more bytes for a body that has reached `bodySize` bytes; false when that would pass the ceiling. */
  take(n: number, bodySize: number): boolean {
    const ceiling = bodySize <= this.smallSize ? this.total : this.total - this.reserve;
    if (this.used + n > ceiling) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }

  get held(): number {
    return this.used;
  }
}

export type BodyRefusal = { ok: false; status: 408 | 413 | 503; error: string } | { ok: false; status: 0; error: "aborted" };
export type BodyResult = { ok: true; body: Buffer; release: () => void } | BodyRefusal;

/**
 * Read `req`'s body into one buffer, within `limit` bytes, the budget and the
 * rules. On success the caller must call `release` once the buffer has been
 * passed on; on a refusal nothing is held and the caller answers `status`
 * (0: the client went away).
 */
export function readBody(req: http.IncomingMessage, limit: number, budget: BodyBudget, rules: BodyRules = BODY_RULES): Promise<BodyResult> {
  const declaredText = req.headers["content-length"];
  const declared = declaredText === undefined ? undefined : Number(declaredText);
  const size = declared ?? limit;
  const deadline = Date.now() + rules.graceMs + (size / rules.minBytesPerSecond) * 1000;

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let atLastCheck = 0;
    let settled = false;

    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      req.off("data", onData).off("end", onEnd).off("close", onClose).off("error", onClose);
      if (!result.ok) {
        budget.give(received);
        chunks.length = 0;
      }
      resolve(result);
    };

    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        received -= chunk.length;
        finish({ ok: false, status: 413, error: `Request body is larger than ${limit} bytes.` });
        return;
      }
      if (!budget.take(chunk.length, Math.max(received, declared ?? 0))) {
        received -= chunk.length;
        finish({ ok: false, status: 503, error: "The server is busy receiving other uploads; try again in a moment." });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      let released = false;
      const held = received;
      finish({
        ok: true,
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received),
        release: () => {
          if (released) return;
          released = true;
          budget.give(held);
        },
      });
    };
    const onClose = () => finish({ ok: false, status: 0, error: "aborted" });

    const timer = setInterval(() => {
      const remaining = declared === undefined ? rules.minBytesPerWindow : declared - received;
      const stalled = received - atLastCheck < Math.min(rules.minBytesPerWindow, remaining);
      atLastCheck = received;
      if (stalled || Date.now() > deadline) {
        finish({ ok: false, status: 408, error: "The request body arrived too slowly; the connection is closed." });
      }
    }, rules.windowMs);

    req.on("data", onData).on("end", onEnd).on("close", onClose).on("error", onClose);
  });
}
