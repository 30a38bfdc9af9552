import type http from "node:http";
import { env } from "../env";
import { acceptInboxPost } from "../federation/inbound/accept";

// The front's side of an inbox POST (lib/server/front.ts has read the body
// within the inbox limit): lib/federation/inbound/accept.ts decides, this
// writes its answer, and keeps the connection open for the sender's next one.

/** An inbox POST, answered here: 202 once the activity is committed, or a JSON reason. Keeps the connection open. */
let publicScheme: "http" | "https" | undefined;

export function answerInbox(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, recipient: string | null): Promise<void> {
  // The scheme senders reach us by (RFC 9421's @scheme and @target-uri): our public origin's, also behind a TLS proxy.
  const scheme = (publicScheme ??= new URL(env().origin).protocol === "https:" ? "https" : "http");
  const request = { method: req.method ?? "POST", path: req.url ?? "/", authority: req.headers.host ?? "", scheme, headers: req.headers, body } as const;
  return acceptInboxPost(request, recipient)
    .catch((error: unknown) => {
      console.error("inbox: a POST could not be handled:", error);
      return { status: 500, body: { error: "The activity could not be handled; try again later." }, headers: undefined };
    })
    .then((answer) => {
      if (res.headersSent || res.destroyed) return;
      const text = answer.body ? JSON.stringify(answer.body) : "";
      res.writeHead(answer.status, {
        ...(text ? { "content-type": "application/json; charset=utf-8" } : {}),
        "content-length": String(Buffer.byteLength(text)),
        ...answer.headers,
      });
      res.end(text);
    });
}
