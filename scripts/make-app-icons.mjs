// Makes the installable app's PNG icons from the logo (app/icon.svg: a circle,
// its left half the accent teal, its right half stone). Run once after the
// logo changes and commit the PNGs: `node scripts/make-app-icons.mjs`.
// sharp comes with Next (its image optimiser), so this adds no dependency; it
// is never needed to build or run Moiety.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { ROOT } from "./prepare.mjs";

const require = createRequire(import.meta.url);
let sharp;
try {
  sharp = require("sharp");
} catch {
  console.error("sharp is not installed (it comes with next); run npm install first.");
  process.exit(1);
}

const TEAL = "#007b76"; // the logo's left half (app/icon.svg)
const STONE = "#d6d3d1"; // its right half on light backgrounds (Tailwind stone-300)
const PAPER = "#fafaf9"; // the page background (stone-50), also the manifest's background_color

/** The logo as a circle of radius r (in a 512 box) centred, on an optional full-bleed background. */
function logo({ r, background }) {
  const c = 256;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
${background ? `<rect width="512" height="512" fill="${background}"/>` : ""}
<path d="M${c} ${c - r}a${r} ${r} 0 0 0 0 ${2 * r}z" fill="${TEAL}"/>
<path d="M${c} ${c - r}a${r} ${r} 0 0 1 0 ${2 * r}z" fill="${STONE}"/>
</svg>`;
}

/**
 * Android's status-bar badge: only the alpha channel counts, so the logo is
 * drawn in one colour — the left half solid, the right half as an outline.
 */
function badge() {
  const c = 256;
  const r = 216;
  const w = 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
<path d="M${c} ${c - r}a${r} ${r} 0 0 0 0 ${2 * r}z" fill="#fff"/>
<path d="M${c} ${c - r + w / 2}a${r - w / 2} ${r - w / 2} 0 0 1 0 ${2 * r - w}" fill="none" stroke="#fff" stroke-width="${w}"/>
</svg>`;
}

const ICONS = [
  // "any": the logo alone, nearly edge to edge (desktop app lists, the install prompt).
  { file: "public/icons/icon-192.png", size: 192, svg: logo({ r: 236 }) },
  { file: "public/icons/icon-512.png", size: 512, svg: logo({ r: 236 }) },
  // "maskable": full-bleed paper, the logo well inside the 80 % safe circle Android may crop to.
  { file: "public/icons/icon-maskable-512.png", size: 512, svg: logo({ r: 150, background: PAPER }) },
  // iOS draws no transparency (it would be black) and rounds the corners itself.
  { file: "app/apple-icon.png", size: 180, svg: logo({ r: 180, background: PAPER }) },
  { file: "public/icons/badge-96.png", size: 96, svg: badge() },
];

for (const icon of ICONS) {
  const out = path.join(ROOT, icon.file);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await sharp(Buffer.from(icon.svg), { density: 72 * (icon.size / 512) * 4 })
    .resize(icon.size, icon.size)
    .png({ compressionLevel: 9 })
    .toFile(out);
  console.log(`${icon.file} (${icon.size}×${icon.size})`);
}
