// OAuth scopes as Mastodon 4.3 documents them (docs.joinmastodon.org, "OAuth scopes"): the
// top-level `read`, `write`, `follow`, `push`, `profile`, the granular `read:…`/`write:…`, and the
// admin scopes, which are accepted (Tokodon asks for them) but open nothing here.

const READ = ["accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes", "notifications", "search", "statuses"];
const WRITE = ["accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows", "lists", "media", "mutes", "notifications", "reports", "statuses"];
const ADMIN_OBJECTS = ["accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks", "canonical_email_blocks"];

export const TOP_SCOPES = ["read", "write", "follow", "push", "profile"] as const;

export const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  ...TOP_SCOPES,
  ...READ.map((s) => `read:${s}`),
  ...WRITE.map((s) => `write:${s}`),
  "admin:read",
  "admin:write",
  ...ADMIN_OBJECTS.flatMap((s) => [`admin:read:${s}`, `admin:write:${s}`]),
]);

/** What `follow` stood for before Mastodon 3.5 split it up. */
const FOLLOW_IMPLIES = ["read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"];

/** Split a scope string ("read write" or "read+write") into distinct scopes. */
export function parseScopes(value: string | string[] | undefined): string[] {
  const parts = Array.isArray(value) ? value.flatMap((v) => v.split(/[\s+]+/)) : (value ?? "").split(/[\s+]+/);
  return [...new Set(parts.filter(Boolean))];
}

export function unknownScopes(scopes: string[]): string[] {
  return scopes.filter((s) => !KNOWN_SCOPES.has(s));
}

/** Whether a token holding `granted` may do what `needed` allows (`read` covers every `read:*`). */
export function grants(granted: string[], needed: string): boolean {
  if (granted.includes(needed)) return true;
  const [family] = needed.split(":");
  if (needed.includes(":") && granted.includes(family) && (family === "read" || family === "write")) return true;
  if (FOLLOW_IMPLIES.includes(needed) && granted.includes("follow")) return true;
  // `profile` asks for verify_credentials only; `read:accounts` and `read` also allow it.
  if (needed === "profile") return granted.includes("read") || granted.includes("read:accounts");
  return false;
}

/** Scopes in plain words for the approve page. */
export function describeScope(scope: string): string {
  const plain: Record<string, string> = {
    read: "read your messages, contacts and profile",
    write: "send, edit and delete messages and change your profile",
    follow: "follow, unfollow and block people",
    push: "receive push notifications",
    profile: "see your profile (name and picture) only",
  };
  if (plain[scope]) return plain[scope];
  const [family, what, more] = scope.split(":");
  if (family === "admin") return `administration (${[what, more].filter(Boolean).join(" ")}) — Moiety has none, so this grants nothing`;
  return `${family === "read" ? "read" : "change"} your ${what.replace(/_/g, " ")}`;
}
