"use client";

import { useEffect } from "react";

/**
 * Registers public/sw.js (the offline page and Web Push notifications) from
 * the owner's pages. A browser without service workers, or one that refuses
 * them (private windows, a page not on https), just goes without.
 */
export function ServiceWorker() {
  useEffect(() => {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" }).catch((err) => {
      console.warn("Moiety's service worker was not registered:", err);
    });
  }, []);
  return null;
}
