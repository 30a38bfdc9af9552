"use client";

import { useEffect, useState } from "react";
import { useE2ee } from "./engine-context";

// Whether a message to these people can be end-to-end encrypted from this
// browser, and if not, why — asked of their servers through the owner's.

export type EncryptionChoice =
  | { state: "checking" }
  | { state: "available" }
  /** Encryption cannot be used; `reason` says why in plain words. */
  | { state: "unavailable"; reason: string };

export function useEncryptionChoice(recipients: string[]): EncryptionChoice {
  const { engine, status } = useE2ee();
  const [choice, setChoice] = useState<EncryptionChoice>({ state: "checking" });
  const key = [...recipients].sort().join(" ");
  useEffect(() => {
    if (recipients.length === 0) return setChoice({ state: "checking" });
    if (status.state === "unsupported") return setChoice({ state: "unavailable", reason: status.reason });
    if (status.state === "removed") return setChoice({ state: "unavailable", reason: "This browser was removed from your devices. Reload the page to set it up again." });
    if (status.state === "error") return setChoice({ state: "unavailable", reason: status.error });
    if (!engine || status.state !== "ready") return setChoice({ state: "checking" });
    let live = true;
    setChoice({ state: "checking" });
    engine
      .canEncrypt(recipients)
      .then((answers) => {
        if (!live) return;
        const no = answers.filter((a) => !a.supported);
        if (no.length === 0) setChoice({ state: "available" });
        else setChoice({ state: "unavailable", reason: no.map((a) => ("reason" in a ? a.reason : `${a.actor} cannot receive encrypted messages.`)).join(" ") });
      })
      .catch((err: unknown) => {
        if (live) setChoice({ state: "unavailable", reason: err instanceof Error ? err.message : "Could not check whether encryption is possible." });
      });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the recipients
  }, [engine, status, key]);
  return choice;
}
