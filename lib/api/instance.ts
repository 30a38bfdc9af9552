import { readFileSync } from "node:fs";
import path from "node:path";
import { env } from "../env";
import { getOwner } from "../domain/owner";
import { vapidKeys } from "../domain/vapid";
import { ALT_MAX, ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX } from "../domain/attachments";
import { IMAGE_EXTENSIONS } from "../domain/image-type";
import { MAX_DM_TEXT } from "../domain/direct-messages";
import { ownerAccount } from "./accounts";

// GET /api/v1/instance and /api/v2/instance. The version claims Mastodon 4.2 and there is no
// `api_versions`: a 4.3 version or api_versions ≥ 2 switches Ice Cubes, Phanpy and the Android
// app to grouped v2 notifications, which Moiety does not serve.

let packageVersion: string | undefined;
export function moietyVersion(): string {
  packageVersion ??= (JSON.parse(readFileSync(path.join(process.cwd(), "package.json"), "utf8")) as { version: string }).version;
  return packageVersion;
}

export const mastodonVersion = () => `4.2.0 (compatible; Moiety ${moietyVersion()})`;

/** wss:// for an https origin, ws:// for http (tests, a LAN). */
function streamingUrl(origin: string): string {
  const url = new URL(origin);
  return `${url.protocol === "https:" ? "wss:" : "ws:"}//${url.host}`;
}

function configuration(origin: string) {
  return {
    urls: { streaming: streamingUrl(origin), status: null },
    accounts: { max_featured_tags: 0, max_pinned_statuses: 0 },
    statuses: { max_characters: MAX_DM_TEXT, max_media_attachments: ATTACHMENTS_MAX, characters_reserved_per_url: 23 },
    media_attachments: {
      supported_mime_types: Object.keys(IMAGE_EXTENSIONS),
      image_size_limit: ATTACHMENT_MAX_BYTES,
      image_matrix_limit: 33_177_600,
      video_size_limit: 0,
      video_frame_rate_limit: 0,
      video_matrix_limit: 0,
      description_limit: ALT_MAX,
    },
    // Moiety sends no polls; the limits are Mastodon's defaults, which clients require to be present.
    polls: { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2_629_746 },
    translation: { enabled: false },
  };
}

async function common() {
  const e = env();
  const owner = await getOwner();
  const title = owner ? `${owner.displayName}'s Moiety` : "Moiety";
  const description = owner ? `Direct messages of @${owner.username}@${new URL(e.origin).host}, on Moiety.` : "A Moiety server.";
  return { e, owner, title, description, host: new URL(e.origin).host };
}

export async function instanceV2() {
  const { e, owner, title, description, host } = await common();
  return {
    domain: host,
    title,
    version: mastodonVersion(),
    description,
    usage: { users: { active_month: owner ? 1 : 0 } },
    thumbnail: { url: `${e.origin}/apple-icon.png` },
    icon: [],
    languages: ["en"],
    // The key push subscriptions must be made for (Elk, Phanpy, the Android app and Tokodon read it here).
    configuration: { ...configuration(e.origin), vapid: { public_key: (await vapidKeys()).publicKey } },
    registrations: { enabled: false, approval_required: false, message: null, url: null },
    contact: { email: "", account: owner ? await ownerAccount(owner) : null },
    rules: [],
  };
}

export async function instanceV1() {
  const { e, owner, title, description, host } = await common();
  return {
    uri: host,
    title,
    short_description: description,
    description,
    email: "",
    version: mastodonVersion(),
    urls: { streaming_api: streamingUrl(e.origin) },
    stats: { user_count: owner ? 1 : 0, status_count: 0, domain_count: 0 },
    thumbnail: `${e.origin}/apple-icon.png`,
    languages: ["en"],
    registrations: false,
    approval_required: false,
    invites_enabled: false,
    configuration: configuration(e.origin),
    contact_account: owner ? await ownerAccount(owner) : null,
    rules: [],
    max_toot_chars: MAX_DM_TEXT,
  };
}
