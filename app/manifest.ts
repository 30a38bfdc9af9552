import type { MetadataRoute } from "next";
import { WEB_APP_COLOURS, WEB_APP_ICONS } from "@/lib/web-app/icons";

// The web app manifest (/manifest.webmanifest, linked from every page by Next):
// what makes Moiety installable. Chromium installs an app with a name, a
// start_url, 192 and 512 icons, a standalone display and a service worker
// (public/sw.js); iOS 16.4+ reads the same manifest on Add to Home Screen.

export default function manifest(): MetadataRoute.Manifest {
  const app: MetadataRoute.Manifest & Record<string, unknown> = {
    id: "/",
    name: "Moiety",
    short_name: "Moiety",
    description: "Your own half of every conversation: direct messages on the fediverse, from your own server.",
    lang: "en",
    start_url: "/messages",
    scope: "/",
    display: "standalone",
    // One colour each: the manifest cannot follow the system's dark mode (the pages' theme-color
    // meta tags do, app/layout.tsx). user_preferences is the draft member that will, once browsers ship it.
    theme_color: WEB_APP_COLOURS.light.theme,
    background_color: WEB_APP_COLOURS.light.background,
    user_preferences: {
      color_scheme: { dark: { theme_color: WEB_APP_COLOURS.dark.theme, background_color: WEB_APP_COLOURS.dark.background } },
    },
    icons: WEB_APP_ICONS.map(({ src, size, purpose }) => ({ src, sizes: `${size}x${size}`, type: "image/png", purpose })),
    shortcuts: [
      { name: "New message", url: "/messages/new" },
      { name: "People", url: "/people" },
    ],
  };
  return app;
}
