// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  output: "standalone",
  poweredByHeader: false,
  // Native addons must stay real node_modules, not bundled.
  serverExternalPackages: ["better-sqlite3", "@node-rs/argon2"],
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
    ];
  },
  experimental: {
    serverActions: {
      // The avatar upload in the setup wizard goes through a server action;
      // the avatar limit itself (2 MiB) is enforced in lib/domain/avatar.ts.
      bodySizeLimit: "3mb",
    },
  },
};

export default nextConfig;
