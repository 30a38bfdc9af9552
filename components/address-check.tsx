"use client";

import { useState } from "react";
import { checkAddressAction } from "@/app/(owner)/settings/address-check";
import { fail } from "@/lib/action-result";
import type { Report } from "@/lib/federation/self-check";
import { Button } from "./button";

const ICON = { ok: "✓", warn: "!", problem: "✗", skipped: "–" } as const;
const TONE = {
  ok: "text-emerald-700 dark:text-emerald-400",
  warn: "text-amber-700 dark:text-amber-400",
  problem: "text-red-700 dark:text-red-400",
  skipped: "text-stone-600 dark:text-stone-400",
} as const;

/** "Is my address right?": fetches our own WebFinger, actor and NodeInfo through the public origin and explains what fails. */
export function AddressCheck() {
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="space-y-3">
      <Button
        type="button"
        variant="secondary"
        busy={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          const r = await checkAddressAction().catch(() => fail("Could not reach the server."));
          setBusy(false);
          if (r.ok) setReport(r.value);
          else setError(r.error);
        }}
      >
        Check my address
      </Button>
      {error && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{error}</p>}
      {report && (
        <div role="status" aria-live="polite">
          <p className="mb-2 font-medium">
            {report.ok ? `Other servers can reach ${report.origin}.` : `Other servers cannot reach ${report.origin} yet.`}
          </p>
          <ul className="space-y-2 text-sm">
            {report.checks.map((c) => (
              <li key={c.name} className="flex gap-2">
                <span aria-hidden className={`w-4 shrink-0 font-bold ${TONE[c.status]}`}>
                  {ICON[c.status]}
                </span>
                <span>
                  <span className="font-medium">{c.name}</span> <span className="sr-only">({c.status})</span>— {c.detail}
                  {c.fix && <span className="block text-stone-700 dark:text-stone-300">Fix: {c.fix}</span>}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
