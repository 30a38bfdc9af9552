"use client";

import type { ReactNode } from "react";

// What a content warning or a sensitive image hides, for messages in the clear
// (message-bubble.tsx) and encrypted ones (e2ee/encrypted-body.tsx) alike.

/** A fold that opens on a click or Enter (a native <details>: no script, and a closed one loads no images). */
export function Fold({ label, action, children }: { label: ReactNode; action: string; children: ReactNode }) {
  return (
    <details className="group">
      <summary className="cursor-pointer select-none list-none [&::-webkit-details-marker]:hidden">
        {label}{" "}
        <span className="ml-1 whitespace-nowrap rounded-md border border-current px-1.5 py-0.5 text-xs font-medium">
          <span className="group-open:hidden">{action}</span>
          <span className="hidden group-open:inline">Hide</span>
        </span>
      </summary>
      <div className="mt-2">{children}</div>
    </details>
  );
}
