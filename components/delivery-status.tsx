"use client";

import { retryDeliveryAction } from "@/app/(owner)/messages/actions";
import type { DeliveryView } from "@/lib/domain/thread-page";
import { useAction } from "./use-action";

function describe(d: DeliveryView): string {
  const who = d.recipient?.handle ?? new URL(d.inbox).host;
  if (d.state === "delivered") return `Delivered to ${who}`;
  if (d.state === "queued") return d.attempts > 0 ? `Sending to ${who} (retrying: ${d.lastError ?? `status ${d.lastStatus}`})` : `Sending to ${who}`;
  return `Not delivered to ${who}: ${d.lastError ?? (d.lastStatus ? `their server answered ${d.lastStatus}` : "unknown error")}`;
}

/** Per-recipient delivery state of one of the owner's messages, with a retry for failures. */
export function DeliveryStatus({ deliveries }: { deliveries: DeliveryView[] }) {
  // A retry that fails (or cannot reach the server) says so and frees its button.
  const { busy, error, run } = useAction();
  if (deliveries.length === 0) return null;
  const failed = deliveries.filter((d) => d.state === "failed");
  const queued = deliveries.filter((d) => d.state === "queued");
  const summary = failed.length > 0 ? "Not delivered" : queued.length > 0 ? "Sending…" : "Delivered";
  const tone = failed.length > 0 ? "text-red-700 dark:text-red-400" : queued.length > 0 ? "" : "text-emerald-700 dark:text-emerald-400";
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2">
      <span className={tone} title={deliveries.map(describe).join("\n")} data-delivery-state={failed.length ? "failed" : queued.length ? "queued" : "delivered"}>
        · {summary}
        {deliveries.length > 1 && failed.length === 0 && queued.length > 0 && ` (${deliveries.length - queued.length}/${deliveries.length})`}
      </span>
      <span className="sr-only">{deliveries.map(describe).join(". ")}</span>
      {failed.map((d) => (
        <span key={d.id} className="inline-flex items-center gap-1 text-red-700 dark:text-red-400">
          <span aria-hidden>({describe(d)})</span>
          <button
            type="button"
            disabled={busy}
            onClick={() => run(() => retryDeliveryAction(d.id))}
            className="rounded px-1.5 py-0.5 font-medium underline hover:bg-red-50 dark:hover:bg-red-950"
          >
            Retry
          </button>
        </span>
      ))}
      {error && (
        <span role="alert" className="text-red-700 dark:text-red-400">
          {error}
        </span>
      )}
    </span>
  );
}
