import { deliveryEvents } from "./outbound/delivery";
import { onInboxStored } from "./inbound/signal";

// A Server-Sent-Events response fed by looking at the database: every second,
// and at once when this process signals a change (deliveries, the fast inbox
// worker storing messages). Other processes (the CLI) write too, so the database is the source
// of truth and the signal only makes it quicker. One look runs at a time: a
// signal during a look asks for another right after it. Used by the web UI's
// /api/events and the Mastodon streaming API (lib/api/streaming.ts).

export type Look = {
  /** Write an SSE chunk. */
  send: (text: string) => void;
  /** End the stream (its reader sees the end). */
  end: () => void;
};

export type ChangeStreamOptions = {
  /** Look for changes; return true when there is more to send at once (a capped batch). Throwing (database busy) means: try again next time. */
  look: (io: Look) => Promise<boolean | void>;
  /** The first chunk, sent on connect. */
  hello: string;
  headers?: Record<string, string>;
  intervalMs?: number;
};

export function changeStream(request: Request, o: ChangeStreamOptions): Response {
  const encoder = new TextEncoder();
  const intervalMs = o.intervalMs ?? 1000;
  let closed = false;
  let running = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let io: Look = { send: () => undefined, end: () => undefined };
  let offStored = () => {};

  const close = () => {
    closed = true;
    clearTimeout(timer);
    deliveryEvents.off("updated", wake);
    offStored();
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
      more = (await o.look(io)) === true;
    } catch {
      // database busy or gone: try again next time
    } finally {
      running = false;
    }
    if (closed) return;
    const soon = again || more;
    again = false;
    timer = setTimeout(tick, soon ? 0 : intervalMs);
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      io = {
        send: (text) => {
          if (!closed) controller.enqueue(encoder.encode(text));
        },
        end: () => {
          if (closed) return;
          close();
          controller.close();
        },
      };
      io.send(o.hello);
      deliveryEvents.on("updated", wake);
      offStored = onInboxStored(wake);
      timer = setTimeout(tick, intervalMs);
    },
    cancel: close,
  });
  request.signal.addEventListener("abort", close);
  return new Response(stream, {
    headers: {
      ...o.headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
