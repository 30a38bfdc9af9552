"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { Lock } from "./encrypted-body";
import { useE2ee } from "./engine-context";

// What the thread says about who can read it, when it is end-to-end
// encrypted: a lock instead of the list of admins, the safety numbers, and a
// warning when someone's devices changed since the owner last looked.

type View = { encrypted: boolean; keyChanged: boolean };

/** "Bob's", or for a group "Bob's, Carol's and Dan's". */
function possessive(people: string[]): string {
  const each = people.map((p) => `${p}'s`);
  return each.length <= 1 ? (each[0] ?? "theirs") : `${each.slice(0, -1).join(", ")} and ${each.at(-1)}`;
}

export function ThreadEncryptionNote({ conversationId, people, plaintextEarlier }: { conversationId: string; people: string[]; plaintextEarlier: string[] }) {
  const whose = possessive(people);
  const { engine, version } = useE2ee();
  const [view, setView] = useState<View | null>(null);
  useEffect(() => {
    if (!engine) return;
    let live = true;
    // Opening the conversation is when its creator device looks for devices added since (at most once a minute).
    void engine
      .checkDevices(conversationId, 60_000)
      .catch(() => undefined)
      .then(() => engine.conversationView(conversationId))
      .then((v) => {
        if (live) setView(v);
      });
    return () => {
      live = false;
    };
  }, [engine, version, conversationId]);

  return (
    <div className="border-b border-emerald-200 bg-emerald-50 px-4 py-2 text-xs text-emerald-950 dark:border-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-100">
      <p>
        <Lock />
        <span className="font-medium">End-to-end encrypted:</span> only your devices and {whose} can read this.{" "}
        <Link href={`/messages/${conversationId}/safety`} className="underline">
          Compare safety numbers
        </Link>
      </p>
      {plaintextEarlier.length > 0 && (
        <p className="mt-1">Earlier messages in this conversation were not encrypted: the admins of {plaintextEarlier.join(", ")} can read those.</p>
      )}
      {view?.keyChanged && (
        <p role="status" className="mt-2 rounded border border-amber-400 bg-amber-50 px-2 py-1 text-amber-950 dark:bg-amber-950/50 dark:text-amber-100">
          {people.length > 1 ? "Someone's" : whose} devices changed since you last compared safety numbers. If you did not expect this, compare them again before
          sharing anything sensitive.{" "}
          <button type="button" className="underline" onClick={() => engine && void Promise.resolve(engine.acknowledgeKeys(conversationId)).then(() => setView({ ...view, keyChanged: false }))}>
            Dismiss
          </button>
        </p>
      )}
    </div>
  );
}
