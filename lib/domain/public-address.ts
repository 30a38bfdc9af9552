import { isIP } from "node:net";

// What the wizard says about MOIETY_ORIGIN: the handle it gives, and why other
// servers might not reach it.

/** Each warning's title is "Other servers cannot reach you at this address"; the message says why and what to change. */
export type AddressWarning = { code: "http" | "local"; message: string };

export type PublicAddress = { origin: string; host: string; warnings: AddressWarning[] };

/** A name or address that only this machine or its local network knows (no public DNS, no public route). */
export function isLocalHost(hostname: string): boolean {
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
        `"${url.host}" only exists on this machine or your local network. ` +
        "Give Moiety a real domain and restart: MOIETY_DOMAIN=social.example (Moiety then gets its own certificate), " +
        "or MOIETY_ORIGIN=https://social.example behind a reverse proxy that terminates HTTPS.",
    });
  }
  if (url.protocol === "http:") {
    warnings.push({
      code: "http",
      message:
        "Mastodon and other servers only talk to https:// addresses. " +
        "Run Moiety with a domain and HTTPS (MOIETY_DOMAIN in the container image, or a reverse proxy) and set MOIETY_ORIGIN to the https:// address.",
    });
  }
  return { origin: url.origin, host: url.host, warnings };
}

export function handleFor(username: string, origin: string): string {
  return `@${username}@${new URL(origin).host}`;
}
