import type { Owner } from "../domain/owner";
import { textToHtml } from "../activitypub/html";
import { env } from "../env";

// Mastodon's Account entity for the owner. The owner's id is its database id as a decimal string;
// `acct` is the bare username, as Mastodon gives it for local accounts.

export const OWNER_ACCOUNT_ID = (owner: Owner) => String(owner.id);

export async function ownerAccount(owner: Owner) {
  const origin = env().origin;
  const avatar = owner.avatarFile ? `${origin}/media/${owner.avatarFile}` : `${origin}/apple-icon.png`;
  return {
    id: OWNER_ACCOUNT_ID(owner),
    username: owner.username,
    acct: owner.username,
    display_name: owner.displayName,
    locked: true,
    bot: false,
    discoverable: false,
    indexable: false,
    group: false,
    noindex: true,
    created_at: new Date(Date.UTC(owner.createdAt.getUTCFullYear(), owner.createdAt.getUTCMonth(), owner.createdAt.getUTCDate())).toISOString(),
    note: owner.bio ? textToHtml(owner.bio) : "",
    url: `${origin}/users/${owner.username}`,
    uri: `${origin}/users/${owner.username}`,
    avatar,
    avatar_static: avatar,
    // Apps decode these as URLs (Ice Cubes fails on ""); Moiety has no header image.
    header: `${origin}/apple-icon.png`,
    header_static: `${origin}/apple-icon.png`,
    followers_count: 0,
    following_count: 0,
    statuses_count: 0,
    last_status_at: null,
    hide_collections: true,
    emojis: [],
    fields: [],
    roles: [],
  };
}

/** verify_credentials: the account plus `source`, the plain-text profile the apps edit. */
export async function credentialAccount(owner: Owner) {
  const account = await ownerAccount(owner);
  return {
    ...account,
    source: { privacy: "direct", sensitive: false, language: "en", note: owner.bio, fields: [], follow_requests_count: 0, hide_collections: true, discoverable: false, indexable: false },
    role: { id: "-99", name: "", permissions: "0", color: "", highlighted: false },
  };
}
