"use client";

import { BubbleFrame, type BubbleData } from "./bubble-frame";
import { Fold } from "./fold";
import { EncryptedMessage } from "./e2ee/encrypted-message";
import { MessageActions } from "./message-actions";

// One message of a thread. A client component for the same reason as the
// conversation rows: the page's RSC payload then carries these fields once
// instead of the bubble's element tree. Everything is worked out on the
// server (the time in the server's words, image URLs through the media
// proxy), so hydration renders exactly what the server did.

export type { BubbleData };

function Attachments({ m }: { m: BubbleData }) {
  if (m.attachments.length === 0) return null;
  return (
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
  );
}

export function MessageBubble({ m, highlight }: { m: BubbleData; highlight: boolean }) {
  if (m.encrypted) return <EncryptedMessage m={m} highlight={highlight} />;
  const text = <div className="message-body break-words [&_p+p]:mt-2" dangerouslySetInnerHTML={{ __html: m.html }} />;
  // As Mastodon shows them: a content warning folds the text and images away; "sensitive" alone, the images.
  const hiddenImages = m.sensitive && m.attachments.some((a) => a.image);
  const images = hiddenImages ? (
    <div className="mt-2">
      <Fold label={<span className="text-sm">{m.attachments.length === 1 ? "Sensitive image" : "Sensitive images"}</span>} action="Show">
        <Attachments m={m} />
      </Fold>
    </div>
  ) : (
    <Attachments m={m} />
  );
  return (
    <BubbleFrame
      m={m}
      highlight={highlight}
      deleted={m.deleted}
      edited={m.edited}
      actions={<MessageActions messageId={m.id} />}
      body={
        m.summary ? (
          <Fold label={<span className="text-sm font-semibold">Content warning: {m.summary}</span>} action="Show">
            {text}
            <Attachments m={m} />
          </Fold>
        ) : (
          <>
            {text}
            {images}
          </>
        )
      }
    />
  );
}
