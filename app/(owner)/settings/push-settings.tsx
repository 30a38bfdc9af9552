"use client";

import { HereBadge } from "@/components/here-badge";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Button } from "@/components/button";
import { Notice } from "@/components/notice";
import { useAction } from "@/components/use-action";
import { fail } from "@/lib/action-result";
import { removePushSubscriptionAction, setPushAlertsAction, setPushShowTextAction, subscribePushAction } from "./push-actions";

// Settings → Notifications: subscribe this browser through its PushManager,
// the list of notified devices, and whether notifications carry the text.

type Time = { text: string; iso: string; title: string };
export type Choices = { mention: boolean; request: boolean; follow: boolean };
export type DeviceRow = { id: number; name: string; endpoint: string; since: Time; lastSuccess: Time | null; choices: Choices };

const CHOICES: { key: keyof Choices; label: string }[] = [
  { key: "mention", label: "New messages" },
  { key: "request", label: "Message requests" },
  { key: "follow", label: "New followers" },
];

/** Why this browser cannot subscribe, in words the owner can act on; null when it can. */
function problemHere(): string | null {
  if (!window.isSecureContext) {
    return `Notifications need Moiety on https (or on localhost); this page is on ${window.location.origin}. Open Moiety at its https address.`;
  }
  const apple = /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia("(display-mode: standalone)").matches || (navigator as { standalone?: boolean }).standalone === true;
  if (!("PushManager" in window) || !("serviceWorker" in navigator) || !("Notification" in window)) {
    if (apple && !standalone) {
      return "On iPhone and iPad, notifications work in the Moiety app on your Home Screen (iOS 16.4 or newer): tap Share, then “Add to Home Screen”, open Moiety from there and turn them on here.";
    }
    return "This browser cannot receive push notifications.";
  }
  if (Notification.permission === "denied") {
    return "Notifications are blocked for this site. Allow them in the browser's site settings (the icon left of the address), then reload this page.";
  }
  return null;
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function sameBytes(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

/** How long the browser's push service may take to hand out a subscription (Chromium waits for it without end when it is unreachable). */
const SUBSCRIBE_WAIT_MS = 30_000;
const NO_ANSWER = "This browser's push service did not answer within 30 seconds; it may be unreachable from this network. Try again later.";

function explain(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.message === NO_ANSWER) return NO_ANSWER;
  if (e.name === "NotAllowedError") return "The browser did not allow notifications for this site.";
  // Chromium's answer in a private (incognito) window, even with notifications allowed.
  if (/permission denied/i.test(e.message)) {
    return `This browser refused a push subscription (${e.message}). Private windows never get one; elsewhere, allow notifications for this site and try again.`;
  }
  if (e.name === "AbortError" || /push service/i.test(e.message)) {
    return `This browser could not reach its push service (${e.message}). Check the connection and try again; some browsers have no push service at all.`;
  }
  return `Subscribing failed: ${e.message}`;
}

function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(message)), ms))]);
}

async function browserSubscription(): Promise<PushSubscription | null> {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return (await registration?.pushManager?.getSubscription()) ?? null;
}

export function NotificationSettings({ vapidKey, devices, showText }: { vapidKey: string; devices: DeviceRow[]; showText: boolean }) {
  // undefined while looking; null when this browser has no subscription.
  const [endpoint, setEndpoint] = useState<string | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setProblem(problemHere());
    browserSubscription()
      .then((s) => setEndpoint(s?.endpoint ?? null))
      .catch(() => setEndpoint(null));
  }, []);
  const subscribedHere = endpoint ? devices.some((d) => d.endpoint === endpoint) : false;
  return (
    <div className="space-y-5">
      {problem ? (
        <Notice tone="warning" title="This device cannot be notified">
          <p>{problem}</p>
        </Notice>
      ) : endpoint === undefined ? null : subscribedHere ? (
        <p className="text-sm font-medium text-emerald-800 dark:text-emerald-300">This device is notified. Choose what about in the list below.</p>
      ) : (
        <SubscribeHere vapidKey={vapidKey} onSubscribed={setEndpoint} onProblem={setProblem} />
      )}
      <DeviceList devices={devices} thisEndpoint={endpoint ?? null} onUnsubscribedHere={() => setEndpoint(null)} />
      <ShowTextToggle value={showText} />
    </div>
  );
}

function ChoiceBoxes({ value, onChange, disabled, legend }: { value: Choices; onChange: (next: Choices) => void; disabled?: boolean; legend: string }) {
  return (
    <fieldset disabled={disabled}>
      <legend className="mb-1 text-sm font-medium">{legend}</legend>
      <div className="flex flex-wrap gap-x-5 gap-y-1">
        {CHOICES.map((c) => (
          <label key={c.key} className="inline-flex min-h-11 items-center gap-2 text-sm">
            <input type="checkbox" className="size-5" checked={value[c.key]} onChange={(e) => onChange({ ...value, [c.key]: e.target.checked })} />
            {c.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function SubscribeHere({ vapidKey, onSubscribed, onProblem }: { vapidKey: string; onSubscribed: (endpoint: string) => void; onProblem: (p: string) => void }) {
  const router = useRouter();
  const [choices, setChoices] = useState<Choices>({ mention: true, request: true, follow: true });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const subscribe = async () => {
    setBusy(true);
    setError(null);
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        if (permission === "denied") onProblem(problemHere() ?? "The browser did not allow notifications for this site.");
        else setError("Notifications were not allowed. Press the button again and choose Allow.");
        return;
      }
      await navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" });
      const registration = await within(navigator.serviceWorker.ready, 15_000, "Moiety's service worker did not start; reload the page and try again.");
      const key = keyBytes(vapidKey);
      let sub = await registration.pushManager.getSubscription();
      // A subscription made for another server key (an older instance, a restored backup) cannot be used.
      if (sub && !sameBytes(sub.options.applicationServerKey, key)) {
        await sub.unsubscribe();
        sub = null;
      }
      sub ??= await within(registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }), SUBSCRIBE_WAIT_MS, NO_ANSWER);
      const json = sub.toJSON();
      const r = await subscribePushAction({ endpoint: sub.endpoint, p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "", choices }).catch(() => fail("Could not reach the server."));
      if (!r.ok) return setError(r.error);
      onSubscribed(sub.endpoint);
      router.refresh();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="space-y-3">
      <ChoiceBoxes legend="Tell me about" value={choices} onChange={setChoices} disabled={busy} />
      <Button type="button" busy={busy} onClick={subscribe}>
        Notify me on this device
      </Button>
      {error && (
        <p role="alert" className="text-sm font-medium text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}

function DeviceList({ devices, thisEndpoint, onUnsubscribedHere }: { devices: DeviceRow[]; thisEndpoint: string | null; onUnsubscribedHere: () => void }) {
  if (devices.length === 0) return <p className="text-sm text-stone-600 dark:text-stone-400">No device is notified yet.</p>;
  return (
    <ul className="divide-y divide-stone-200 rounded-xl border border-stone-200 dark:divide-stone-800 dark:border-stone-800" aria-label="Notified devices">
      {devices.map((d) => (
        <DeviceItem key={d.id} device={d} here={d.endpoint === thisEndpoint} onUnsubscribedHere={onUnsubscribedHere} />
      ))}
    </ul>
  );
}

function DeviceItem({ device: d, here, onUnsubscribedHere }: { device: DeviceRow; here: boolean; onUnsubscribedHere: () => void }) {
  const remove = useAction();
  const change = useAction();
  const [choices, setChoices] = useState(d.choices);
  const stamp = (t: Time) => (
    <time dateTime={t.iso} title={t.title}>
      {t.text === "now" ? "just now" : t.text}
    </time>
  );
  return (
    <li className="space-y-2 px-4 py-3">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <div className="min-w-0 flex-1">
          <p className="font-medium">
            {d.name}
            {here && <HereBadge label="this device" />}
          </p>
          <p className="text-sm text-stone-600 dark:text-stone-400">
            since {stamp(d.since)} · last delivered {d.lastSuccess ? stamp(d.lastSuccess) : "never yet"}
          </p>
        </div>
        <Button
          type="button"
          variant="secondary"
          busy={remove.busy}
          aria-label={`Stop notifying ${d.name}${here ? " (this device)" : ""}`}
          onClick={() =>
            remove.run(() => removePushSubscriptionAction(d.id), {
              onDone: () => {
                // This browser also forgets its subscription, so its push service drops it too.
                if (here) browserSubscription().then((s) => s?.unsubscribe()).catch(() => undefined).finally(onUnsubscribedHere);
              },
            })
          }
        >
          Remove
        </Button>
      </div>
      <ChoiceBoxes
        legend={`Tell ${here ? "this device" : d.name} about`}
        value={choices}
        disabled={change.busy}
        onChange={(next) => {
          const before = choices;
          setChoices(next);
          change.run(async () => {
            const r = await setPushAlertsAction(d.id, next);
            if (!r.ok) setChoices(before);
            return r;
          });
        }}
      />
      {(remove.error || change.error) && (
        <p role="alert" className="text-sm font-medium text-red-700 dark:text-red-400">
          {remove.error ?? change.error}
        </p>
      )}
    </li>
  );
}

function ShowTextToggle({ value }: { value: boolean }) {
  const router = useRouter();
  const [checked, setChecked] = useState(value);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="border-t border-stone-200 pt-4 dark:border-stone-800">
      <label className="flex items-start gap-3">
        <input
          type="checkbox"
          className="mt-1 size-5 shrink-0"
          checked={checked}
          disabled={busy}
          aria-describedby="push-text-hint"
          onChange={async (e) => {
            const next = e.target.checked;
            setChecked(next);
            setBusy(true);
            setError(null);
            const r = await setPushShowTextAction(next).catch(() => fail("Could not reach the server."));
            setBusy(false);
            if (!r.ok) {
              setChecked(!next);
              setError(r.error);
            }
            router.refresh();
          }}
        />
        <span>
          <span className="block font-medium">Show message text in notifications</span>
          <span id="push-text-hint" className="block text-sm text-stone-600 dark:text-stone-400">
            {checked
              ? "On every notified device the lock screen shows what was written, e.g. “Bob: Are we still on for Friday?”."
              : "The lock screen shows only who wrote, e.g. “New message from Bob”; open Moiety to read it."}{" "}
            Push services (Google, Apple, Mozilla) get the notification encrypted either way.
          </span>
        </span>
      </label>
      {error && (
        <p role="alert" className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
