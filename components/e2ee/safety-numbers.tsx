"use client";

import { useEffect, useState } from "react";
import { useE2ee } from "./engine-context";

type Person = { actor: string; name: string; handle: string };
type Row = { person: Person; number: string | null };

/** The safety number with each person, from this browser's view of both sides' devices. */
export function SafetyNumbers({ conversationId, people }: { conversationId: string; people: Person[] }) {
  const { engine, status, version } = useE2ee();
  const [mine, setMine] = useState<string | null>(null);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!engine || status.state !== "ready") return;
    let live = true;
    (async () => {
      // The numbers must cover every device there is now: devices that appeared are added first.
      await engine.checkDevices(conversationId, 0);
      const fp = await engine.fingerprint();
      const list = await Promise.all(people.map(async (person) => ({ person, number: await engine.safetyNumber(person.actor) })));
      if (live) {
        setMine(fp);
        setRows(list);
      }
    })().catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `people` is new on every render; the conversation names them
  }, [engine, status, conversationId]);

  if (status.state === "unsupported") return <p role="alert">This browser cannot use end-to-end encryption: {status.reason}</p>;
  if (status.state === "removed") return <p role="alert">This browser was removed from your devices. Reload to set it up again.</p>;
  if (error) return <p role="alert">Could not work out the safety numbers: {error}</p>;
  if (!rows) return <p aria-live="polite">Working out the safety numbers…</p>;
  return (
    <div className="space-y-6">
      {rows.map(({ person, number }) => (
        <section key={person.actor} aria-label={`Safety number with ${person.name}`} className="rounded-xl border border-stone-200 p-4 dark:border-stone-800">
          <h2 className="font-medium">
            {person.name} <span className="text-sm text-stone-600 dark:text-stone-400">{person.handle}</span>
          </h2>
          {number ? (
            <p className="mt-3 grid grid-cols-4 gap-x-4 gap-y-1 font-mono text-lg tracking-wider" data-safety-number={number.replace(/ /g, "")}>
              {number.split(" ").map((g, i) => (
                <span key={i}>{g}</span>
              ))}
            </p>
          ) : (
            <p className="mt-2 text-sm">No end-to-end encrypted conversation with {person.name} on this device yet, so there is no number to compare.</p>
          )}
        </section>
      ))}
      {mine && (
        <p className="text-sm text-stone-600 dark:text-stone-400">
          This device&apos;s fingerprint: <span className="font-mono">{mine}</span>
        </p>
      )}
    </div>
  );
}
