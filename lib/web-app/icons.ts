// The installable app's icons (made by scripts/make-app-icons.mjs) and colours,
// shared by the manifest (app/manifest.ts) and the root layout's theme-color.

export const WEB_APP_ICONS = [
  { src: "/icons/icon-192.png", size: 192, purpose: "any" },
  { src: "/icons/icon-512.png", size: 512, purpose: "any" },
  { src: "/icons/icon-maskable-512.png", size: 512, purpose: "maskable" },
] as const;

/** The page backgrounds of app/globals.css: Tailwind stone-50 and stone-950. */
export const WEB_APP_COLOURS = {
  light: { theme: "#fafaf9", background: "#fafaf9" },
  dark: { theme: "#0c0a09", background: "#0c0a09" },
} as const;
