import { currentOwner, currentSessionId } from "@/lib/auth";
import { sessionIsOpen } from "@/lib/domain/sessions";
import { changeFingerprint } from "@/lib/domain/inbox";
import { deliveryEvents } from "@/lib/federation/delivery";

export const dynamic = "force-dynamic";

// Server-Sent Events for the owner's open pages: a "change" event whenever
// anything they show changed. Changes come from this process (inbox worker,
// deliveries) and from others (the CLI), so the source of truth is a cheap
// fingerprint query, checked every second and right after a local event.

export async function GET(request: Request) {
  if (!(await currentOwner())) {
    return Response.json({ error: "Not logged in." }, { status: 401 });
  }
  const sid = await currentSessionId();
  const encoder = new TextEncoder();
  let last = await changeFingerprint();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  // One check at a time: a wake that arrives while one runs asks for another
  // right after it, instead of starting a second polling loop.
  let running = false;
  let again = false;

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
  let send: (text: string) => void = () => undefined;
  let end: () => void = () => undefined;
  let beats = 0;
  const tick = async () => {
    if (closed) return;
    running = true;
    try {
      const now = await changeFingerprint();
      if (now !== last) {
        last = now;
        send("event: change\ndata: {}\n\n");
      } else if (++beats % 15 === 0) {
        // A session ended elsewhere (Log out, Settings) stops its open pages' stream too.
        if (!(await sessionIsOpen(sid))) return end();
        send(": keep-alive\n\n");
      }
    } catch {
      // database busy or gone: try again next tick
    } finally {
      running = false;
    }
    if (closed) return;
    if (again) {
      again = false;
      void tick();
    } else {
      timer = setTimeout(tick, 1000);
    }
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      send = (text) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      end = () => {
        close();
        controller.close();
      };
      send("retry: 2000\n: connected\n\n");
      deliveryEvents.on("updated", wake);
      timer = setTimeout(tick, 1000);
    },
    cancel: close,
  });
  request.signal.addEventListener("abort", close);
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
