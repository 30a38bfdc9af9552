"use client";

import { useState } from "react";
import { deleteMessageAction, editMessageAction, messageTextAction } from "@/app/(owner)/messages/actions";
import { fail, type ActionResult } from "@/lib/action-result";
import { useAction } from "./use-action";

/** How a message is edited and deleted: by the server (a stored DM), or by this browser (an encrypted one). */
export type MessageOps = {
  text: (messageId: string) => Promise<ActionResult<string>>;
  edit: (input: { messageId: string; text: string }) => Promise<ActionResult>;
  remove: (messageId: string) => Promise<ActionResult>;
};

const SERVER_OPS: MessageOps = { text: messageTextAction, edit: editMessageAction, remove: deleteMessageAction };

/** Edit (sends an Update) and delete with confirmation (sends a Delete) for the owner's own messages. */
export function MessageActions({ messageId, ops = SERVER_OPS }: { messageId: string; ops?: MessageOps }) {
  const [mode, setMode] = useState<"idle" | "edit" | "confirm">("idle");
  const [draft, setDraft] = useState("");
  const { busy, error, setBusy, setError, run: runAction } = useAction();
  const run = (work: Parameters<typeof runAction>[0]) => runAction(work, { onDone: () => setMode("idle") });

  async function startEdit() {
    setBusy(true);
    setError(null);
    const r = await ops.text(messageId).catch(() => fail("Could not reach the server."));
    setBusy(false);
    if (!r.ok) return setError(r.error);
    setDraft(r.value);
    setMode("edit");
  }

  if (mode === "edit") {
    return (
      <form
        className="mt-1 flex w-full min-w-64 flex-col gap-1"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => ops.edit({ messageId, text: draft }));
        }}
      >
        <label htmlFor={`edit-${messageId}`} className="sr-only">
          Edit message
        </label>
        <textarea
          id={`edit-${messageId}`}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          rows={3}
          className="rounded-lg border border-stone-300 bg-white p-2 text-sm text-stone-900 dark:border-stone-700 dark:bg-stone-950 dark:text-stone-100"
        />
        {error && <span role="alert" className="text-red-700 dark:text-red-400">{error}</span>}
        <span className="flex gap-2">
          <button type="submit" disabled={busy || !draft.trim()} className="rounded bg-accent-600 px-2 py-1 font-medium text-white">
            Save edit
          </button>
          <button type="button" onClick={() => setMode("idle")} className="rounded px-2 py-1 underline">
            Cancel
          </button>
        </span>
      </form>
    );
  }
  if (mode === "confirm") {
    return (
      <span className="inline-flex items-center gap-2" role="group" aria-label="Confirm delete">
        <span>Delete for everyone?</span>
        <button type="button" disabled={busy} onClick={() => run(() => ops.remove(messageId))} className="rounded bg-red-700 px-2 py-0.5 font-medium text-white">
          Delete
        </button>
        <button type="button" onClick={() => setMode("idle")} className="rounded px-2 py-0.5 underline">
          Keep
        </button>
        {error && <span role="alert" className="text-red-700 dark:text-red-400">{error}</span>}
      </span>
    );
  }
  return (
    <span className="inline-flex gap-1">
      <button type="button" disabled={busy} onClick={() => void startEdit()} className="rounded px-1 underline-offset-2 hover:underline">
        Edit
      </button>
      <button type="button" onClick={() => setMode("confirm")} className="rounded px-1 underline-offset-2 hover:underline">
        Delete
      </button>
      {error && <span role="alert" className="text-red-700 dark:text-red-400">{error}</span>}
    </span>
  );
}
