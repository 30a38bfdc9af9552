// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  output: "standalone",
  poweredByHeader: false,
  // Native addons must stay real node_modules, not bundled. Fedify too: the
  // Federation object lives on globalThis and is used from the proxy, the routes
  // and instrumentation; with one bundled copy each, its classes differ and
  // instanceof checks (isActor, Note) fail across them.
  serverExternalPackages: ["better-sqlite3", "@node-rs/argon2", "@fedify/fedify", "@js-temporal/polyfill"],
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'" },
        ],
      },
      {
        // The service worker must reach browsers the moment it changes (public/sw.js); no-cache makes
        // every check ask the server. Its scope is the whole site, which its place at the root allows anyway.
        source: "/sw.js",
        headers: [
          { key: "Cache-Control", value: "no-cache" },
          { key: "Service-Worker-Allowed", value: "/" },
        ],
      },
      {
        source: "/offline.html",
        headers: [{ key: "Cache-Control", value: "no-cache" }],
      },
    ];
  },
  experimental: {
    serverActions: {
      // Avatars (2 MiB) and DM images (4 × 8 MiB) go through server actions;
      // the real limits are checked in lib/domain/avatar.ts and attachments.ts.
      bodySizeLimit: "40mb",
    },
  },
};

export default nextConfig;
