"use client";

import { useState } from "react";
import { Button } from "@/components/button";
import type { AuthorizeRequest } from "@/lib/domain/oauth";
import { approveAuthorization, denyAuthorization, type AuthorizeResult } from "./actions";

/** Approve / Deny; the answer is a location to go to, which may be an app's own URI scheme. */
export function AuthorizeButtons({ request, appName }: { request: AuthorizeRequest; appName: string }) {
  const [busy, setBusy] = useState<"approve" | "deny" | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function run(which: "approve" | "deny", action: (r: AuthorizeRequest) => Promise<AuthorizeResult>) {
    setBusy(which);
    setError(null);
    try {
      const result = await action(request);
      if (result.ok) {
        window.location.assign(result.value);
        return;
      }
      setError(result.error);
    } catch {
      setError("Could not reach the server. Try again.");
    }
    setBusy(null);
  }
  return (
    <div className="space-y-3">
      {error && (
        <p role="alert" className="text-sm font-medium text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      <div className="flex gap-3">
        <Button type="button" busy={busy === "approve"} disabled={busy !== null} onClick={() => run("approve", approveAuthorization)}>
          Approve {appName}
        </Button>
        <Button type="button" variant="secondary" busy={busy === "deny"} disabled={busy !== null} onClick={() => run("deny", denyAuthorization)}>
          Deny
        </Button>
      </div>
    </div>
  );
}
