"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { Avatar } from "@/components/avatar";
import { Button } from "@/components/button";
import { AttachmentPicker, useAttachments } from "@/components/attachment-picker";
import { ContentWarningField, ContentWarningToggle, useContentWarning } from "@/components/content-warning";
import { Notice } from "@/components/notice";
import { useE2ee } from "@/components/e2ee/engine-context";
import { EncryptionToggle } from "@/components/e2ee/encryption-toggle";
import { useEncryptionChoice } from "@/components/e2ee/encryption-choice";
import { encryptableImages } from "@/components/e2ee/shrink-image";
import { resolveRecipientAction, sendNewMessageAction, type Recipient } from "../actions";

export function NewMessageForm({ initialTo }: { initialTo: string }) {
  const router = useRouter();
  const [query, setQuery] = useState(initialTo);
  const [recipients, setRecipients] = useState<Recipient[]>([]);
  const [lookupError, setLookupError] = useState<string | null>(null);
  const [looking, setLooking] = useState(false);
  const [text, setText] = useState("");
  const [sendError, setSendError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const images = useAttachments();
  const warning = useContentWarning();
  const { engine, refresh } = useE2ee();
  const choice = useEncryptionChoice(recipients.map((r) => r.id));
  // On by default whenever it is possible; the owner may turn it off.
  const [wantEncrypted, setWantEncrypted] = useState(true);
  const encrypt = choice.state === "available" && wantEncrypted;

  // The look-up in flight, so Enter, leaving the field and Send share one request for the same text.
  const pending = useRef<{ q: string; result: Promise<Recipient | null> } | null>(null);
  // The last text that could not be resolved: leaving the field does not ask again (Enter or Send do).
  const failed = useRef<string | null>(null);

  /** Resolve what is typed in To; the recipient, or null after showing why not. */
  function add(input = query): Promise<Recipient | null> {
    const q = input.trim();
    if (!q) return Promise.resolve(null);
    if (pending.current?.q === q) return pending.current.result;
    setLooking(true);
    setLookupError(null);
    const result = (async () => {
      try {
        const r = await resolveRecipientAction(q);
        if (!r.ok) {
          failed.current = q;
          setLookupError(r.error);
          return null;
        }
        setRecipients((list) => (list.some((x) => x.id === r.value.id) ? list : [...list, r.value]));
        // Keep whatever was typed meanwhile.
        setQuery((current) => (current.trim() === q ? "" : current));
        return r.value;
      } catch {
        setLookupError("Could not reach your Moiety server. Check your connection and try again.");
        return null;
      } finally {
        if (pending.current?.q === q) pending.current = null;
        setLooking(false);
      }
    })();
    pending.current = { q, result };
    return result;
  }

  useEffect(() => {
    if (initialTo) void add(initialTo);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only once, for a ?to= link
  }, []);

  async function send(e: React.FormEvent) {
    e.preventDefault();
    if (sending) return;
    setSending(true);
    setSendError(null);
    try {
      // A typed but not yet resolved address is resolved first, then sent: one click.
      let to = recipients;
      if (query.trim()) {
        const r = await add();
        if (!r) return;
        to = to.some((x) => x.id === r.id) ? to : [...to, r];
      }
      if (to.length === 0) {
        setSendError("Add at least one recipient: type their address in To.");
        return;
      }
      let encrypted = encrypt;
      if (to !== recipients || choice.state === "checking") {
        // A recipient found in this click (or a check still under way) was never seen
        // checked: encrypt when all can (the default); otherwise stop once, so the
        // notice is seen before the first message.
        const answers = engine && wantEncrypted ? await engine.canEncrypt(to.map((r) => r.id)).catch(() => []) : [];
        encrypted = answers.length === to.length && answers.every((a) => a.supported);
        if (!encrypted && wantEncrypted) {
          setSendError("This message cannot be end-to-end encrypted; the notice above says who will be able to read it. Press Send again to send it anyway.");
          return;
        }
      }
      if (encrypted && engine) {
        const sent = await engine.sendText({ recipients: to.map((r) => r.id), text, images: await encryptableImages(images.items), summary: warning.value || undefined });
        await refresh();
        router.push(`/messages/${sent.conversationId}`);
        return;
      }
      const form = new FormData();
      for (const r of to) form.append("to", r.id);
      form.set("text", text);
      if (warning.value) form.set("summary", warning.value);
      images.appendTo(form);
      const r = await sendNewMessageAction(form);
      if (r.ok) router.push(`/messages/${r.value}`);
      else setSendError(r.error);
    } catch (err) {
      setSendError(
        encrypt && err instanceof Error ? `Not sent: ${err.message} Your message is still here.` : "Could not reach the server. Your message is still here; try again.",
      );
    } finally {
      setSending(false);
    }
  }

  const strangers = recipients.filter((r) => !r.followsYou);

  return (
    <form onSubmit={send} className="space-y-5" noValidate>
      <div>
        <label htmlFor="to" className="mb-1 block text-sm font-medium">
          To
        </label>
        {recipients.length > 0 && (
          <ul className="mb-2 space-y-2" aria-label="Recipients">
            {recipients.map((r) => (
              <li key={r.id} className="flex items-center gap-3 rounded-xl border border-stone-200 bg-white p-2 dark:border-stone-800 dark:bg-stone-900">
                <Avatar src={r.avatarUrl} name={r.name} size={40} />
                <span className="min-w-0 flex-1">
                  <span className="block truncate font-medium">{r.name}</span>
                  <span className="block truncate text-sm text-stone-600 dark:text-stone-400">
                    {r.handle} · on {r.server}
                  </span>
                </span>
                <button
                  type="button"
                  onClick={() => setRecipients((l) => l.filter((x) => x.id !== r.id))}
                  className="rounded-md px-2 py-1 text-sm hover:bg-stone-100 dark:hover:bg-stone-800"
                  aria-label={`Remove ${r.handle}`}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="flex gap-2">
          <input
            id="to"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              // Enter resolves the address instead of submitting the form.
              if (e.key === "Enter" && !e.nativeEvent.isComposing) {
                e.preventDefault();
                void add();
              }
            }}
            onBlur={() => {
              if (query.trim() !== failed.current) void add();
            }}
            placeholder="@name@server.example"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            aria-invalid={lookupError ? true : undefined}
            aria-describedby={lookupError ? "to-error to-hint" : "to-hint"}
            className="min-h-11 min-w-0 flex-1 rounded-lg border border-stone-300 bg-white px-3 dark:border-stone-700 dark:bg-stone-900"
          />
          <Button type="button" variant="secondary" busy={looking} onClick={() => add()}>
            Find
          </Button>
        </div>
        <p id="to-hint" className="mt-1 text-sm text-stone-600 dark:text-stone-400">
          Their address, like @name@mastodon.social, or the link to their profile.
        </p>
        <p aria-live="polite" className="mt-1 text-sm text-stone-600 dark:text-stone-400">
          {looking ? `Looking up ${pending.current?.q ?? "the address"}…` : ""}
        </p>
        {lookupError && (
          <p id="to-error" role="alert" className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
            {lookupError}
          </p>
        )}
      </div>

      {strangers.length > 0 && (
        <Notice tone="info">
          {strangers.map((r) => r.handle).join(", ")} {strangers.length > 1 ? "do" : "does"} not follow you. On Mastodon this may land in
          their message requests until they answer.
        </Notice>
      )}

      <div>
        <ContentWarningField state={warning} />
        <label htmlFor="text" className="mb-1 block text-sm font-medium">
          Message
        </label>
        <textarea
          id="text"
          value={text}
          onChange={(e) => setText(e.target.value)}
          rows={6}
          maxLength={5000}
          className="block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 dark:border-stone-700 dark:bg-stone-900"
        />
        <p className="mt-1 text-sm text-stone-600 dark:text-stone-400">
          {encrypt
            ? "Plain text. End-to-end encrypted: only your devices and theirs can read it, not any server."
            : "Plain text; links and @mentions become links. Only the people above (and their servers' admins) can read it."}
        </p>
      </div>

      {recipients.length > 0 && <EncryptionToggle choice={choice} on={wantEncrypted} onChange={setWantEncrypted} servers={recipients.map((r) => r.server)} />}
      <AttachmentPicker state={images} beside={<ContentWarningToggle state={warning} />} />
      {encrypt && images.items.length > 0 && (
        <p className="text-sm text-stone-600 dark:text-stone-400">Encrypted pictures travel inside the message: large photos are made smaller first.</p>
      )}
      {sendError && <Notice tone="error">{sendError}</Notice>}
      <Button type="submit" busy={sending} disabled={(recipients.length === 0 && !query.trim()) || (!text.trim() && images.items.length === 0)}>
        Send
      </Button>
    </form>
  );
}
