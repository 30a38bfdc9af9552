"use client";

import { useState } from "react";
import { acceptRequestAction, archiveAction, blockSenderAction, deleteConversationAction } from "@/app/(owner)/messages/actions";
import type { Person } from "@/lib/domain/people";
import { useAction } from "./use-action";

export function ThreadMenu({ conversationId, archived }: { conversationId: string; archived: boolean }) {
  const { busy, error, run } = useAction();
  const [confirm, setConfirm] = useState(false);
  return (
    <div className="flex items-center gap-1 text-sm">
      {error && <span role="alert" className="text-red-700">{error}</span>}
      <button type="button" disabled={busy} onClick={() => run(() => archiveAction(conversationId, !archived), { then: archived ? undefined : "/messages" })} className="rounded-md px-2 py-1.5 hover:bg-stone-100 dark:hover:bg-stone-800">
        {archived ? "Unarchive" : "Archive"}
      </button>
      {confirm ? (
        <span role="group" aria-label="Confirm delete" className="inline-flex items-center gap-1">
          <button type="button" disabled={busy} onClick={() => run(() => deleteConversationAction(conversationId), { then: "/messages" })} className="rounded-md bg-red-700 px-2 py-1.5 font-medium text-white">
            Delete here
          </button>
          <button type="button" onClick={() => setConfirm(false)} className="rounded-md px-2 py-1.5">
            Keep
          </button>
        </span>
      ) : (
        <button type="button" onClick={() => setConfirm(true)} className="rounded-md px-2 py-1.5 hover:bg-stone-100 dark:hover:bg-stone-800" title="Deletes your copy; the other servers keep theirs">
          Delete
        </button>
      )}
    </div>
  );
}

export function RequestActions({ conversationId, people }: { conversationId: string; people: Person[] }) {
  const { busy, error, run } = useAction();
  const servers = [...new Set(people.map((p) => p.server))].join(", ");
  return (
    <div role="region" aria-label="Message request" className="border-b border-amber-300 bg-amber-50 px-4 py-3 text-sm dark:border-amber-800 dark:bg-amber-950/40">
      <p className="font-medium">Message request</p>
      <p className="text-stone-700 dark:text-stone-300">
        You do not follow {people.map((p) => p.handle).join(", ")} and have not written to them. They do not know whether you have read this.
      </p>
      {error && <p role="alert" className="mt-1 text-red-700">{error}</p>}
      <div className="mt-2 flex flex-wrap gap-2">
        <button type="button" disabled={busy} onClick={() => run(() => acceptRequestAction(conversationId))} className="min-h-9 rounded-lg bg-accent-600 px-3 font-medium text-white">
          Accept
        </button>
        <button type="button" disabled={busy} onClick={() => run(() => deleteConversationAction(conversationId), { then: "/messages?tab=requests" })} className="min-h-9 rounded-lg border border-stone-300 bg-white px-3 dark:border-stone-700 dark:bg-stone-900">
          Delete
        </button>
        <button type="button" disabled={busy} onClick={() => run(() => blockSenderAction(conversationId, "account"), { then: "/messages?tab=requests" })} className="min-h-9 rounded-lg border border-red-300 bg-white px-3 text-red-800 dark:border-red-800 dark:bg-stone-900 dark:text-red-300">
          Block {people.length > 1 ? "them" : "sender"}
        </button>
        <button type="button" disabled={busy} onClick={() => run(() => blockSenderAction(conversationId, "domain"), { then: "/messages?tab=requests" })} className="min-h-9 rounded-lg border border-red-300 bg-white px-3 text-red-800 dark:border-red-800 dark:bg-stone-900 dark:text-red-300">
          Block {servers}
        </button>
      </div>
    </div>
  );
}
