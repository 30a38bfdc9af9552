import { isIP } from "node:net";

// What the wizard says about MOIETY_ORIGIN: the handle it gives, and why other
// servers might not reach it.

export type AddressWarning = { code: "http" | "local"; message: string };

export type PublicAddress = { origin: string; host: string; warnings: AddressWarning[] };

function isLocalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal")) return true;
  if (!h.includes(".") && isIP(h) === 0) return true; // a bare machine name
  if (isIP(h) === 4) {
    const [a, b] = h.split(".").map(Number);
    return a === 127 || a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (isIP(h) === 6) return h === "::1" || h.startsWith("fc") || h.startsWith("fd") || h.startsWith("fe80");
  return false;
}

export function describePublicAddress(origin: string): PublicAddress {
  const url = new URL(origin);
  const warnings: AddressWarning[] = [];
  if (isLocalHost(url.hostname)) {
    warnings.push({
      code: "local",
      message:
        `Other servers cannot reach you at this address: "${url.host}" only exists on this machine or network. ` +
        "Set MOIETY_ORIGIN to your public address (for example https://social.example) and restart.",
    });
  }
  if (url.protocol === "http:") {
    warnings.push({
      code: "http",
      message:
        "Other servers cannot reach you at this address: Mastodon and other servers only talk to https:// addresses. " +
        "Run Moiety with a domain and HTTPS (MOIETY_DOMAIN in the container image, or a reverse proxy) and set MOIETY_ORIGIN=https://….",
    });
  }
  return { origin: url.origin, host: url.host, warnings };
}

export function handleFor(username: string, origin: string): string {
  return `@${username}@${new URL(origin).host}`;
}
