"use client";

import { BubbleFrame, type BubbleData } from "../bubble-frame";
import { MessageActions, type MessageOps } from "../message-actions";
import { fail, ok } from "@/lib/action-result";
import { useE2ee } from "./engine-context";
import { EncryptedBody, useDecrypted } from "./encrypted-body";

/** A bubble whose text this browser decrypted; edits and deletes go out encrypted too. */
export function EncryptedMessage({ m, highlight }: { m: BubbleData; highlight: boolean }) {
  const { engine, refresh } = useE2ee();
  const view = useDecrypted(m.id);
  const readable = view?.state === "ok";
  const deleted = readable ? view.deleted : m.deleted;

  const ops: MessageOps | null =
    engine && readable
      ? {
          text: async () => ok(view.text),
          edit: async ({ messageId, text }) => {
            if (!text.trim()) return fail("Write something, or delete the message instead.");
            try {
              await engine.editText(messageId, text);
              await refresh();
              return ok();
            } catch (err) {
              return fail(err instanceof Error ? err.message : "Could not send the edit.");
            }
          },
          remove: async (messageId) => {
            try {
              await engine.deleteMessage(messageId);
              await refresh();
              return ok();
            } catch (err) {
              return fail(err instanceof Error ? err.message : "Could not send the delete.");
            }
          },
        }
      : null;

  return (
    <BubbleFrame
      m={m}
      highlight={highlight}
      deleted={deleted}
      edited={readable && view.edited}
      body={<EncryptedBody view={view} />}
      actions={ops ? <MessageActions messageId={m.id} ops={ops} /> : null}
    />
  );
}
