"use client";

import { HereBadge } from "@/components/here-badge";
import { useEffect, useState } from "react";
import { Button } from "@/components/button";
import { useE2ee } from "@/components/e2ee/engine-context";
import { useAction } from "@/components/use-action";
import type { DeviceInfo } from "@/lib/e2ee/transport-types";
import { listDevicesAction, removeDeviceAction } from "../e2ee-actions";

type Row = DeviceInfo & { fingerprint: string | null };

/** Fingerprints are worked out here, in the browser, with the same code the safety numbers use. */
function useFingerprints(devices: DeviceInfo[]): Row[] {
  const [rows, setRows] = useState<Row[]>(devices.map((d) => ({ ...d, fingerprint: null })));
  useEffect(() => {
    let live = true;
    void (async () => {
      const { fingerprint, fromBase64 } = await import("@/lib/e2ee/device");
      const done = await Promise.all(devices.map(async (d) => ({ ...d, fingerprint: await fingerprint(fromBase64(d.signatureKey)) })));
      if (live) setRows(done);
    })();
    return () => {
      live = false;
    };
  }, [devices]);
  return rows;
}

/** The owner's end-to-end encryption devices: each browser that holds keys, with its fingerprint. */
export function EncryptionDevices({ devices: rendered }: { devices: DeviceInfo[] }) {
  const { engine, status } = useE2ee();
  // The list as rendered may predate this browser's own registration (the first visit): ask again once it is done.
  const [devices, setDevices] = useState(rendered);
  useEffect(() => setDevices(rendered), [rendered]);
  useEffect(() => {
    if (status.state !== "ready") return;
    let live = true;
    void listDevicesAction()
      .then((r) => {
        if (live && r.ok) setDevices(r.value);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [status]);
  const rows = useFingerprints(devices);
  const [mine, setMine] = useState<string | null>(null);
  useEffect(() => {
    if (engine && status.state === "ready") void engine.fingerprint().then(setMine, () => setMine(null));
  }, [engine, status]);

  return (
    <div className="space-y-3">
      {status.state === "unsupported" && <p className="text-sm">This browser cannot hold encryption keys: {status.reason}</p>}
      {status.state === "removed" && <p className="text-sm">This browser was removed from your devices. Reload the page to make it a device again.</p>}
      {rows.length === 0 ? (
        <p className="text-sm text-stone-600 dark:text-stone-400">No device yet. Each browser you open Moiety in becomes one.</p>
      ) : (
        <ul className="divide-y divide-stone-200 rounded-xl border border-stone-200 dark:divide-stone-800 dark:border-stone-800" aria-label="Encryption devices">
          {rows.map((d) => (
            <DeviceItem key={d.id} device={d} current={mine !== null && d.fingerprint === mine} />
          ))}
        </ul>
      )}
    </div>
  );
}

function DeviceItem({ device: d, current }: { device: Row; current: boolean }) {
  const remove = useAction();
  const [confirm, setConfirm] = useState(false);
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
      <div className="min-w-0 flex-1">
        <p className="font-medium">
          {d.name}
          {current && <HereBadge label="this browser" />}
        </p>
        <p className="font-mono text-xs text-stone-700 dark:text-stone-300">{d.fingerprint ?? "…"}</p>
        <p className="text-sm text-stone-600 dark:text-stone-400">
          Added {new Date(d.createdAt).toLocaleDateString("en-GB")} · {d.keyPackages} unused key {d.keyPackages === 1 ? "package" : "packages"}
        </p>
        {remove.error && (
          <p role="alert" className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
            {remove.error}
          </p>
        )}
      </div>
      {confirm ? (
        <span className="inline-flex items-center gap-2" role="group" aria-label={`Confirm removing ${d.name}`}>
          <span className="text-sm">It will no longer read new encrypted messages.</span>
          <Button type="button" variant="danger" busy={remove.busy} onClick={() => remove.run(() => removeDeviceAction({ deviceId: d.id }))}>
            Remove
          </Button>
          <Button type="button" variant="secondary" onClick={() => setConfirm(false)}>
            Keep
          </Button>
        </span>
      ) : (
        <Button type="button" variant="secondary" onClick={() => setConfirm(true)} aria-label={`Remove the device ${d.name}`}>
          Remove
        </Button>
      )}
    </li>
  );
}
