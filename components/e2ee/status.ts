// What the owner's pages know about this browser's encryption device (engine-context.tsx).

export type E2eeStatus =
  | { state: "loading" }
  | { state: "ready" }
  /** The browser lacks what MLS needs here (WebCrypto Ed25519/X25519, IndexedDB). */
  | { state: "unsupported"; reason: string }
  /** This device was removed in Settings: its keys are gone. */
  | { state: "removed" }
  | { state: "error"; error: string };
