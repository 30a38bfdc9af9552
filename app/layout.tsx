import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import { WEB_APP_COLOURS } from "@/lib/web-app/icons";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Moiety", template: "%s · Moiety" },
  description: "Your own half of every conversation.",
  robots: { index: false, follow: false },
  // Added to the Home Screen, iOS opens Moiety as an app of its own (and only then allows Web Push, iOS 16.4+).
  appleWebApp: { capable: true, title: "Moiety", statusBarStyle: "default" },
  // Next writes the standard mobile-web-app-capable for `capable`; older iOS reads only Apple's name.
  other: { "apple-mobile-web-app-capable": "yes" },
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: WEB_APP_COLOURS.light.theme },
    { media: "(prefers-color-scheme: dark)", color: WEB_APP_COLOURS.dark.theme },
  ],
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Reading the request makes every page dynamic, so each gets the CSP nonce
  // that proxy.ts put on the request (Next adds it to its own scripts).
  await headers();
  return (
    <html lang="en">
      <body className="min-h-dvh">{children}</body>
    </html>
  );
}
