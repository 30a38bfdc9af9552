"use client";

import { Notice } from "@/components/notice";
import type { EncryptionChoice } from "./encryption-choice";

/** Says before the first message whether it will be end-to-end encrypted, and lets the owner choose when it can be. */
export function EncryptionToggle({
  choice,
  on,
  onChange,
  servers,
}: {
  choice: EncryptionChoice;
  on: boolean;
  onChange: (on: boolean) => void;
  servers: string[];
}) {
  const admins = [...new Set(servers)].join(", ");
  if (choice.state === "checking") {
    return (
      <p className="text-sm text-stone-600 dark:text-stone-400" aria-live="polite">
        Checking whether this conversation can be end-to-end encrypted…
      </p>
    );
  }
  if (choice.state === "unavailable") {
    return (
      <Notice tone="info">
        <strong>Not end-to-end encrypted.</strong> {choice.reason} The admins of {admins} will be able to read this conversation.
      </Notice>
    );
  }
  return (
    <div className="rounded-lg border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-800 dark:bg-emerald-950/40">
      <label className="flex items-center gap-2 font-medium">
        <input type="checkbox" checked={on} onChange={(e) => onChange(e.target.checked)} className="h-4 w-4" />
        End-to-end encrypt
      </label>
      <p className="mt-1 text-stone-700 dark:text-stone-300">
        {on
          ? "Only your devices and theirs will be able to read it. No server can, not even this one."
          : `Off: the admins of ${admins} will be able to read it.`}
      </p>
    </div>
  );
}
