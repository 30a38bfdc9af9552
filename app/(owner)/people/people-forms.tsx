"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/button";
import { fail } from "@/lib/action-result";
import type { PeopleResult } from "./actions";
import { approveFollowerAction, blockAccountAction, blockDomainAction, followAction, rejectFollowerAction, unblockAction, unfollowAction } from "./actions";

const ACTIONS = { followAction, blockAccountAction, blockDomainAction };

/** A one-field form (follow by handle, block an account, block a server) with its result inline. */
export function OneFieldForm({ action, label, placeholder, button, hint }: { action: keyof typeof ACTIONS; label: string; placeholder: string; button: string; hint?: string }) {
  const router = useRouter();
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<PeopleResult | null>(null);
  const id = `f-${action}`;
  return (
    <form
      className="space-y-1"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        const r = await ACTIONS[action](value).catch(() => fail("Could not reach the server."));
        setBusy(false);
        setResult(r);
        if (r.ok) {
          setValue("");
          router.refresh();
        }
      }}
    >
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder={placeholder}
          autoCapitalize="none"
          spellCheck={false}
          aria-invalid={result && !result.ok ? true : undefined}
          aria-describedby={`${id}-result`}
          className="min-h-11 min-w-0 flex-1 rounded-lg border border-stone-300 bg-white px-3 dark:border-stone-700 dark:bg-stone-900"
        />
        <Button type="submit" variant="secondary" busy={busy} disabled={!value.trim()}>
          {button}
        </Button>
      </div>
      {hint && <p className="text-sm text-stone-600 dark:text-stone-400">{hint}</p>}
      <p id={`${id}-result`} role="status" className={`text-sm ${result?.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400"}`}>
        {result ? (result.ok ? result.value : result.error) : ""}
      </p>
    </form>
  );
}

const ROW_ACTIONS = {
  approve: approveFollowerAction,
  reject: rejectFollowerAction,
  unfollow: unfollowAction,
  unblockActor: (v: string) => unblockAction("actor", v),
  unblockDomain: (v: string) => unblockAction("domain", v),
};

export function RowButton({ action, value, label, danger }: { action: keyof typeof ROW_ACTIONS; value: string; label: string; danger?: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <span className="inline-flex items-center gap-2">
      {error && <span role="alert" className="text-sm text-red-700">{error}</span>}
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          const r = await ROW_ACTIONS[action](value).catch(() => fail("Could not reach the server."));
          setBusy(false);
          if (!r.ok) setError(r.error);
          else router.refresh();
        }}
        className={`min-h-9 rounded-lg border px-3 text-sm ${danger ? "border-red-300 text-red-800 dark:border-red-800 dark:text-red-300" : "border-stone-300 dark:border-stone-700"}`}
      >
        {label}
      </button>
    </span>
  );
}
