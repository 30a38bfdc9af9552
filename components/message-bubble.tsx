"use client";

import { BubbleFrame, type BubbleData } from "./bubble-frame";
import { EncryptedMessage } from "./e2ee/encrypted-message";
import { MessageActions } from "./message-actions";

// One message of a thread. A client component for the same reason as the
// conversation rows: the page's RSC payload then carries these fields once
// instead of the bubble's element tree. Everything is worked out on the
// server (the time in the server's words, image URLs through the media
// proxy), so hydration renders exactly what the server did.

export type { BubbleData };

export function MessageBubble({ m, highlight }: { m: BubbleData; highlight: boolean }) {
  if (m.encrypted) return <EncryptedMessage m={m} highlight={highlight} />;
  return (
    <BubbleFrame
      m={m}
      highlight={highlight}
      deleted={m.deleted}
      edited={m.edited}
      actions={<MessageActions messageId={m.id} />}
      body={
        <>
          {m.summary && <p className="mb-1 text-sm font-semibold">CW: {m.summary}</p>}
          <div className="message-body break-words [&_p+p]:mt-2" dangerouslySetInnerHTML={{ __html: m.html }} />
          {m.attachments.length > 0 && (
            <ul className="mt-2 space-y-2">
              {m.attachments.map((a) => (
                <li key={a.href}>
                  {a.image ? (
                    // eslint-disable-next-line @next/next/no-img-element -- proxied, size-limited remote image
                    <img src={a.image} alt={a.label} className="max-h-80 rounded-lg" loading="lazy" />
                  ) : (
                    <a href={a.href} rel="noopener nofollow noreferrer" target="_blank">
                      {a.label}
                    </a>
                  )}
                </li>
              ))}
            </ul>
          )}
        </>
      }
    />
  );
}
