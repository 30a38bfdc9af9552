"use client";

import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react";
import type { E2eeEngine as LoadedEngine } from "@/lib/e2ee/engine";
import type { E2eeStatus } from "./status";
import { e2eeTransport } from "./transport";

export type { E2eeStatus };

// The owner's MLS device in this browser (lib/e2ee), shared by every part of
// the owner's pages that shows or sends encrypted messages. The engine and
// ts-mls load only in the browser, after the page is interactive; nothing of
// it runs on the server. It syncs when the page opens and whenever the live
// update stream (components/live-refresh.tsx) reports a change.

type E2ee = {
  status: E2eeStatus;
  engine: LoadedEngine | null;
  /** Bumps after every sync that changed something, so readers render again. */
  version: number;
  /** Sync now (after sending, for instance); resolves when done. */
  refresh: () => Promise<void>;
};

const Ctx = createContext<E2ee>({ status: { state: "loading" }, engine: null, version: 0, refresh: async () => {} });

export function useE2ee(): E2ee {
  return useContext(Ctx);
}

/** Fired on window by LiveRefresh for every change the server reports. */
export const CHANGE_EVENT = "moiety:change";

export function E2eeProvider({ ownerActor, children }: { ownerActor: string; children: React.ReactNode }) {
  const [status, setStatus] = useState<E2eeStatus>({ state: "loading" });
  const [engine, setEngine] = useState<LoadedEngine | null>(null);
  const [version, setVersion] = useState(0);
  const running = useRef<Promise<void> | null>(null);
  const again = useRef(false);

  const sync = useCallback(async (e: LoadedEngine) => {
    // One sync at a time in this tab; a change during a sync asks for one more.
    if (running.current) {
      again.current = true;
      return running.current;
    }
    running.current = (async () => {
      do {
        again.current = false;
        try {
          await e.sync();
        } catch (err) {
          console.warn("End-to-end encryption: sync failed", err);
        }
        setVersion((v) => v + 1);
      } while (again.current);
    })().finally(() => {
      running.current = null;
    });
    return running.current;
  }, []);

  useEffect(() => {
    let cancelled = false;
    let onChange: (() => void) | null = null;
    (async () => {
      const { loadEngine } = await import("./engine-loader");
      const loaded = await loadEngine(ownerActor, e2eeTransport());
      if (cancelled) return;
      if (!loaded.ok) {
        setStatus(loaded.status);
        return;
      }
      setEngine(loaded.engine);
      const device = await loaded.engine.ensureDevice().catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
      if (cancelled) return;
      if ("error" in device && device.error) return setStatus({ state: "error", error: String(device.error) });
      if ("removed" in device && device.removed) return setStatus({ state: "removed" });
      setStatus({ state: "ready" });
      await sync(loaded.engine);
      let timer: ReturnType<typeof setTimeout> | undefined;
      onChange = () => {
        clearTimeout(timer);
        timer = setTimeout(() => void sync(loaded.engine), 100);
      };
      window.addEventListener(CHANGE_EVENT, onChange);
    })().catch((err: unknown) => {
      if (!cancelled) setStatus({ state: "error", error: err instanceof Error ? err.message : String(err) });
    });
    return () => {
      cancelled = true;
      if (onChange) window.removeEventListener(CHANGE_EVENT, onChange);
    };
  }, [ownerActor, sync]);

  const refresh = useCallback(async () => {
    if (engine) await sync(engine);
  }, [engine, sync]);

  return <Ctx.Provider value={{ status, engine, version, refresh }}>{children}</Ctx.Provider>;
}
