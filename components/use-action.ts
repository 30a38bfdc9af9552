"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { fail, type SomeActionResult } from "@/lib/action-result";

/**
 * Run a server action from a button: busy while it runs, its error (or a
 * network failure) kept for an alert, then the page refreshed, after going to
 * `then` when given. `onDone` runs on success before the refresh.
 */
export function useAction() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<SomeActionResult>, opts: { then?: string; onDone?: () => void } = {}) => {
    setBusy(true);
    setError(null);
    const r = await work().catch(() => fail("Could not reach the server."));
    setBusy(false);
    if (!r.ok) return setError(r.error);
    opts.onDone?.();
    if (opts.then) router.push(opts.then);
    router.refresh();
  };
  return { busy, error, setError, setBusy, run };
}
