"use client";

import { e2eeSettings, e2eeTransport } from "./e2ee-transport";

/**
 * Renders nothing. Rendered by the owner layout so that every owner page's
 * bundle holds the end-to-end encryption calls (components/e2ee-transport.ts):
 * Next answers a server action only on a page whose client code imports it.
 */
export function E2eeReady() {
  void e2eeTransport;
  void e2eeSettings;
  return null;
}
