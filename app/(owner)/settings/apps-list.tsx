"use client";

import { Button } from "@/components/button";
import { useAction } from "@/components/use-action";
import { revokeTokenAction } from "./app-actions";

export type AppRow = { id: number; name: string; scopes: string; lastUsed: { text: string; iso: string; title: string } | null };

/** Apps and tokens that may use the Mastodon API as the owner, each with Revoke. */
export function AppsList({ apps }: { apps: AppRow[] }) {
  if (apps.length === 0) return <p className="text-sm text-stone-600 dark:text-stone-400">No app is authorized.</p>;
  return (
    <ul className="divide-y divide-stone-200 rounded-xl border border-stone-200 dark:divide-stone-800 dark:border-stone-800" aria-label="Authorized apps">
      {apps.map((a) => (
        <AppItem key={a.id} app={a} />
      ))}
    </ul>
  );
}

function AppItem({ app: a }: { app: AppRow }) {
  const revoke = useAction();
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
      <div className="min-w-0 flex-1">
        <p className="font-medium">{a.name}</p>
        <p className="text-sm text-stone-600 dark:text-stone-400">
          {a.scopes} · last used{" "}
          {a.lastUsed ? (
            <time dateTime={a.lastUsed.iso} title={a.lastUsed.title}>
              {a.lastUsed.text === "now" ? "just now" : a.lastUsed.text}
            </time>
          ) : (
            "never"
          )}
        </p>
        {revoke.error && (
          <p role="alert" className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
            {revoke.error}
          </p>
        )}
      </div>
      <Button type="button" variant="secondary" busy={revoke.busy} onClick={() => revoke.run(() => revokeTokenAction(a.id))} aria-label={`Revoke ${a.name}`}>
        Revoke
      </Button>
    </li>
  );
}
