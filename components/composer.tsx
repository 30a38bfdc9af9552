"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { replyAction } from "@/app/(owner)/messages/actions";
import { AttachmentPicker, useAttachments } from "./attachment-picker";
import { ContentWarningField, ContentWarningToggle, useContentWarning } from "./content-warning";
import { useE2ee } from "./e2ee/engine-context";
import { useEncryptionChoice } from "./e2ee/encryption-choice";
import { encryptableImages } from "./e2ee/shrink-image";

const MAX = 5000;

/**
 * The reply box at the bottom of a thread. Enter sends, Shift+Enter starts a new line.
 * Under an older page of the thread (`showingNewest` false) a sent message
 * would land out of sight, so sending goes to the newest page.
 */
export function Composer({
  conversationId,
  disabled,
  showingNewest = true,
  participants = [],
  encryptedThread = false,
}: {
  conversationId: string;
  disabled?: boolean;
  showingNewest?: boolean;
  /** The other participants' actor URLs, for end-to-end encryption. */
  participants?: string[];
  /** The conversation already carries end-to-end encrypted messages: it stays encrypted. */
  encryptedThread?: boolean;
}) {
  const router = useRouter();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const images = useAttachments();
  const warning = useContentWarning();
  const { engine, status, refresh } = useE2ee();
  // An encrypted conversation needs no asking (each send looks up devices as needed).
  const choice = useEncryptionChoice(encryptedThread ? [] : participants);
  const [wantEncrypted, setWantEncrypted] = useState(true);
  // An encrypted conversation is never answered in the clear by accident: without a usable device, sending waits.
  const encrypt = encryptedThread || (choice.state === "available" && wantEncrypted);

  async function send() {
    if (busy || (!text.trim() && images.items.length === 0)) return;
    setBusy(true);
    setError(null);
    try {
      if (encrypt) {
        if (!engine || status.state !== "ready") {
          setError(
            status.state === "unsupported"
              ? `This conversation is end-to-end encrypted, but this browser cannot take part: ${status.reason}`
              : status.state === "removed"
                ? "This conversation is end-to-end encrypted, but this browser was removed from your devices. Reload the page to set it up again."
                : status.state === "error"
                  ? `This conversation is end-to-end encrypted, but this browser's keys could not be opened: ${status.error}`
                  : "This browser's encryption keys are still loading; try again in a moment.",
          );
          return;
        }
        await engine.sendText({ recipients: participants, text, images: await encryptableImages(images.items), summary: warning.value || undefined });
        setText("");
        images.clear();
        warning.clear();
        await refresh();
        if (showingNewest) router.refresh();
        else router.push(`/messages/${conversationId}`);
        return;
      }
      const form = new FormData();
      form.set("conversationId", conversationId);
      form.set("text", text);
      if (warning.value) form.set("summary", warning.value);
      images.appendTo(form);
      const r = await replyAction(form);
      if (r.ok) {
        setText("");
        images.clear();
        warning.clear();
        if (showingNewest) router.refresh();
        else router.push(`/messages/${conversationId}`);
      } else setError(r.error);
    } catch (err) {
      setError(encrypt && err instanceof Error ? `Not sent: ${err.message} Your message is still here.` : "Could not reach the server. Your message is still here; try again.");
    } finally {
      setBusy(false);
      box.current?.focus();
    }
  }

  return (
    <form
      className="border-t border-stone-200 bg-white p-3 dark:border-stone-800 dark:bg-stone-900"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {error && (
        <p role="alert" className="mb-2 text-sm font-medium text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      {!encryptedThread && choice.state === "available" && (
        <label className="mb-2 flex items-center gap-2 text-sm">
          <input type="checkbox" checked={wantEncrypted} onChange={(e) => setWantEncrypted(e.target.checked)} className="h-4 w-4" />
          End-to-end encrypt
          <span className="text-stone-600 dark:text-stone-400">{wantEncrypted ? "— only your devices and theirs can read it" : "— off: their server's admins can read it"}</span>
        </label>
      )}
      <AttachmentPicker state={images} compact beside={<ContentWarningToggle state={warning} />} />
      <ContentWarningField state={warning} />
      <div className="flex items-end gap-2">
        <label htmlFor="composer" className="sr-only">
          Write a message
        </label>
        <textarea
          id="composer"
          ref={box}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
          rows={Math.min(6, Math.max(1, text.split("\n").length))}
          maxLength={MAX}
          disabled={disabled}
          placeholder={disabled ? "This account was deleted; you cannot reply." : encrypt ? "Write an encrypted message…" : "Write a message…"}
          className="max-h-48 min-h-11 flex-1 resize-none rounded-xl border border-stone-300 bg-white px-3 py-2.5 text-base dark:border-stone-700 dark:bg-stone-950"
        />
        <button
          type="submit"
          disabled={busy || disabled || (!text.trim() && images.items.length === 0)}
          className="min-h-11 rounded-xl bg-accent-600 px-4 font-medium text-white hover:bg-accent-700 disabled:bg-stone-300 dark:disabled:bg-stone-700"
        >
          {busy ? "Sending…" : "Send"}
        </button>
      </div>
      {text.length > MAX - 500 && (
        <p className="mt-1 text-right text-xs text-stone-600">
          {text.length}/{MAX}
        </p>
      )}
    </form>
  );
}
