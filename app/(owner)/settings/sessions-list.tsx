"use client";

import { HereBadge } from "@/components/here-badge";
import { Button } from "@/components/button";
import { useAction } from "@/components/use-action";
import { endOtherSessionsAction, endSessionAction } from "./session-actions";

export type SessionRow = { id: string; device: string; address: string; lastUsed: { text: string; iso: string; title: string }; current: boolean };

/** Every browser logged in as the owner, with a way to end any of them but this one. */
export function SessionsList({ sessions }: { sessions: SessionRow[] }) {
  const all = useAction();
  const others = sessions.filter((s) => !s.current).length;
  return (
    <div className="space-y-4">
      <ul className="divide-y divide-stone-200 rounded-xl border border-stone-200 dark:divide-stone-800 dark:border-stone-800" aria-label="Sessions">
        {sessions.map((s) => (
          <SessionItem key={s.id} session={s} />
        ))}
      </ul>
      {others > 0 && (
        <Button type="button" variant="secondary" busy={all.busy} onClick={() => all.run(() => endOtherSessionsAction())}>
          End all other sessions
        </Button>
      )}
      {all.error && (
        <p role="alert" className="text-sm font-medium text-red-700 dark:text-red-400">
          {all.error}
        </p>
      )}
    </div>
  );
}

function SessionItem({ session: s }: { session: SessionRow }) {
  const end = useAction();
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
      <div className="min-w-0 flex-1">
        <p className="font-medium">
          {s.device}
          {s.current && <HereBadge label="this browser" />}
        </p>
        <p className="text-sm text-stone-600 dark:text-stone-400">
          {s.address || "unknown address"} · last used{" "}
          <time dateTime={s.lastUsed.iso} title={s.lastUsed.title}>
            {s.lastUsed.text === "now" ? "just now" : s.lastUsed.text}
          </time>
        </p>
        {end.error && (
          <p role="alert" className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
            {end.error}
          </p>
        )}
      </div>
      {!s.current && (
        <Button type="button" variant="secondary" busy={end.busy} onClick={() => end.run(() => endSessionAction(s.id))} aria-label={`End the session of ${s.device}, ${s.address}`}>
          End
        </Button>
      )}
    </li>
  );
}
