"use client";

import { useId, useState } from "react";

// A content warning: shown before the text, which the recipients' apps keep
// folded until opened. In the clear it is Mastodon's spoiler text (the Note's
// summary); encrypted, the summary of the Note inside the MLS message (docs/E2EE.md).

export const MAX_WARNING = 500;

export function useContentWarning() {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  return {
    open,
    text,
    setText,
    toggle: () => setOpen((o) => !o),
    /** What to send: nothing unless the field is open and filled. */
    value: open ? text.trim() : "",
    clear: () => {
      setText("");
      setOpen(false);
    },
  };
}

type State = ReturnType<typeof useContentWarning>;

export function ContentWarningToggle({ state }: { state: State }) {
  return (
    <button
      type="button"
      aria-pressed={state.open}
      onClick={state.toggle}
      className={`inline-flex min-h-9 items-center rounded-lg border px-3 text-sm ${
        state.open ? "border-accent-600 bg-accent-50 text-accent-800 dark:bg-stone-800 dark:text-accent-300" : "border-stone-300 hover:bg-stone-100 dark:border-stone-700 dark:hover:bg-stone-800"
      }`}
    >
      Content warning
    </button>
  );
}

export function ContentWarningField({ state }: { state: State }) {
  const id = useId();
  if (!state.open) return null;
  return (
    <div className="mb-2">
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        Content warning
      </label>
      <input
        id={id}
        value={state.text}
        onChange={(e) => state.setText(e.target.value)}
        maxLength={MAX_WARNING}
        placeholder="What it is about: shown first, the message stays folded until opened"
        className="min-h-10 w-full rounded-lg border border-stone-300 bg-white px-3 text-sm dark:border-stone-700 dark:bg-stone-950"
      />
    </div>
  );
}
