"use client";

import { useEffect, useState } from "react";
import type { EncryptedImage } from "@/lib/e2ee/app-data";
import { Fold } from "../fold";
import { useE2ee } from "./engine-context";

// The body of an end-to-end encrypted message: the server holds only
// ciphertext and sends a placeholder; the text comes from this browser's MLS
// device (lib/e2ee), which decrypted it. The text is rendered as text, never
// as HTML: it comes from the other side's client, unsanitised by any server.

export type MessageViewState =
  | { state: "ok"; text: string; authorActor: string; edited: boolean; deleted: boolean; images: EncryptedImage[]; summary?: string | null }
  | { state: "unreadable"; reason: string }
  | { state: "unknown" };

export function useDecrypted(messageId: string): MessageViewState | null {
  const { engine, version } = useE2ee();
  const [view, setView] = useState<MessageViewState | null>(null);
  useEffect(() => {
    if (!engine) return;
    let live = true;
    void Promise.resolve(engine.messageView(messageId)).then((v) => {
      if (live) setView(v as MessageViewState);
    });
    return () => {
      live = false;
    };
  }, [engine, version, messageId]);
  return view;
}

export function Lock() {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className="mr-1 inline h-3.5 w-3.5 -translate-y-px fill-current opacity-80">
      <path d="M5 7V5a3 3 0 1 1 6 0v2h.5A1.5 1.5 0 0 1 13 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-7A1.5 1.5 0 0 1 3 13.5v-5A1.5 1.5 0 0 1 4.5 7H5Zm1.5 0h3V5a1.5 1.5 0 1 0-3 0v2Z" />
    </svg>
  );
}

export function EncryptedBody({ view }: { view: MessageViewState | null }) {
  const { status } = useE2ee();
  let body: React.ReactNode;
  if (view?.state === "ok") {
    body = view.deleted ? (
      <span className="italic">This message was deleted.</span>
    ) : (
      <>
        <span className="whitespace-pre-wrap">{view.text}</span>
        {view.images.length > 0 && (
          <span className="mt-2 block space-y-2">
            {view.images.map((image, i) => (
              // eslint-disable-next-line @next/next/no-img-element -- decrypted here; the type was checked against PNG/JPEG/WebP/GIF (lib/e2ee/app-data.ts)
              <img key={i} src={`data:${image.mediaType};base64,${image.content}`} alt={image.alt || "Image attachment"} className="block max-h-80 rounded-lg" />
            ))}
          </span>
        )}
      </>
    );
    if (!view.deleted && view.summary) {
      // As in the clear (message-bubble.tsx): the text and pictures stay folded behind the warning.
      return (
        <div className="break-words" data-encrypted="ok">
          <Fold
            label={
              <>
                <Lock />
                <span className="sr-only">End-to-end encrypted: </span>
                <span className="text-sm font-semibold">Content warning: {view.summary}</span>
              </>
            }
            action="Show"
          >
            {body}
          </Fold>
        </div>
      );
    }
  } else if (view?.state === "unreadable") {
    body = <span className="italic">This device cannot read this message: {view.reason}</span>;
  } else if (status.state === "unsupported") {
    body = <span className="italic">End-to-end encrypted. This browser cannot read it: {status.reason}</span>;
  } else if (status.state === "removed") {
    body = <span className="italic">End-to-end encrypted. This browser was removed from your devices, so it holds no keys to read it.</span>;
  } else if (status.state === "error") {
    body = <span className="italic">End-to-end encrypted. Could not open this browser&apos;s keys: {status.error}</span>;
  } else if (status.state === "loading" || view === null) {
    body = <span className="italic">Decrypting…</span>;
  } else {
    body = (
      <span className="italic">
        End-to-end encrypted for other devices. This browser was not in the conversation&apos;s encryption when it was sent, so it has no
        key for it. Sending a message from here brings this browser in for what follows.
      </span>
    );
  }
  return (
    <div className="break-words" data-encrypted={view?.state ?? "pending"}>
      <Lock />
      <span className="sr-only">End-to-end encrypted: </span>
      {body}
    </div>
  );
}
