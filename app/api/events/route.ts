import { currentOwner, currentSessionId } from "@/lib/auth";
import { sessionIsOpen } from "@/lib/domain/sessions";
import { changeFingerprint } from "@/lib/domain/inbox";
import { changeStream } from "@/lib/federation/change-stream";

export const dynamic = "force-dynamic";

// Server-Sent Events for the owner's open pages: a "change" event whenever
// anything they show changed, found with a cheap fingerprint query.

export async function GET(request: Request) {
  if (!(await currentOwner())) {
    return Response.json({ error: "Not logged in." }, { status: 401 });
  }
  const sid = await currentSessionId();
  let last = await changeFingerprint();
  let beats = 0;
  return changeStream(request, {
    hello: "retry: 2000\n: connected\n\n",
    look: async ({ send, end }) => {
      const now = await changeFingerprint();
      if (now !== last) {
        last = now;
        send("event: change\ndata: {}\n\n");
      } else if (++beats % 15 === 0) {
        // A session ended elsewhere (Log out, Settings) stops its open pages' stream too.
        if (!(await sessionIsOpen(sid))) return end();
        send(": keep-alive\n\n");
      }
    },
  });
}
