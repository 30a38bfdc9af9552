// Moiety's service worker (registered by components/service-worker.tsx, served
// with no-cache by next.config.js). It does three things and nothing more:
//  - when a page cannot be loaded because the device is offline, it shows
//    /offline.html, the one file it keeps;
//  - it never stores messages, pages or API answers: every other request goes
//    to the network exactly as it would without a service worker, so nothing
//    of a conversation is left on the device for offline reading;
//  - it shows Web Push notifications and opens the conversation when one is
//    clicked.
// Plain JavaScript on purpose: the browser fetches this file as it is, outside
// Next's build.

const CACHE = "moiety-offline-v1";
const OFFLINE_PAGE = "/offline.html";
const FALLBACK_ICON = "/icons/icon-192.png";
const BADGE = "/icons/badge-96.png";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // cache: "reload" skips the HTTP cache, so an update never keeps an old copy.
      await cache.add(new Request(OFFLINE_PAGE, { cache: "reload" }));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      // Navigation preload starts the page's request while this worker wakes up.
      if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Only page loads are handled here; everything else (scripts, images, API
  // calls, live updates, form posts) is left to the browser: network only.
  if (request.mode !== "navigate" || request.method !== "GET") return;
  event.respondWith(
    (async () => {
      try {
        const preloaded = await event.preloadResponse;
        if (preloaded) return preloaded;
        return await fetch(request);
      } catch {
        // fetch rejects only when no answer came at all (offline, DNS, refused): a server's error page is passed on.
        const offline = await caches.match(OFFLINE_PAGE, { cacheName: CACHE });
        return offline ?? Response.error();
      }
    })(),
  );
});

/** A page of this origin to open (a path, or a full URL on this origin), never another site: the default is the conversation list. */
function samePath(url) {
  if (typeof url !== "string" || !url) return "/messages";
  try {
    const parsed = new URL(url, self.location.origin);
    if (parsed.origin !== self.location.origin) return "/messages";
    return parsed.pathname + parsed.search + parsed.hash;
  } catch {
    return "/messages";
  }
}

/**
 * The notification for a push. Moiety's server sends JSON:
 * { notification_id, notification_type ("mention" | "follow" | "follow_request"),
 *   title, body, icon, url, conversation_id }.
 */
function notificationFor(payload) {
  const p = payload && typeof payload === "object" ? payload : {};
  const text = (v, fallback) => (typeof v === "string" && v.trim() ? v.slice(0, 500) : fallback);
  const conversation = typeof p.conversation_id === "string" || typeof p.conversation_id === "number" ? String(p.conversation_id) : "";
  return {
    title: text(p.title, "Moiety"),
    options: {
      body: text(p.body, "You have something new."),
      icon: typeof p.icon === "string" && p.icon ? p.icon : FALLBACK_ICON,
      badge: BADGE,
      // One notification per conversation: a newer message replaces the older one
      // (and renotify makes the phone signal it again).
      tag: conversation ? `conversation-${conversation}` : `moiety-${text(p.notification_type, "notice")}`,
      renotify: true,
      timestamp: Date.now(),
      data: { url: samePath(p.url), notificationId: p.notification_id ?? null },
    },
  };
}

self.addEventListener("push", (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null; // not JSON: still tell the owner something arrived (browsers require a notification)
  }
  const { title, options } = notificationFor(payload);
  event.waitUntil(self.registration.showNotification(title, options));
});

/**
 * Bring Moiety to the front at `url`: an open Moiety window is focused and
 * navigated there, else a new one opens.
 */
async function openMoiety(url) {
  const target = new URL(samePath(url), self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin !== self.location.origin) continue;
    // focus() needs the click's permission to bring a window forward; navigating does not.
    const focused = await client.focus().catch(() => client);
    const arrived = await focused.navigate(target).catch(() => null);
    if (arrived) return arrived;
  }
  return self.clients.openWindow(target);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  event.waitUntil(openMoiety(data.url));
});
