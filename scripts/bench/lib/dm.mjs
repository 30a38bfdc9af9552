// The DMs the benchmarks send: Mastodon-shaped, with no dependency so that
// signing worker threads can build them without loading Fedify.

export const AS = "https://www.w3.org/ns/activitystreams";

/**
 * A Mastodon-style DM (Create{Note}, to = the owner only, a Mention, a
 * conversation id per sender) from `actor` to `recipient`.
 */
export function dmActivity(actor, recipient, n) {
  const noteId = `${actor.id}/statuses/${n}`;
  const published = new Date().toISOString();
  return {
    "@context": [AS, { ostatus: "http://ostatus.org#", conversation: "ostatus:conversation", sensitive: "as:sensitive" }],
    id: `${noteId}/activity`,
    type: "Create",
    actor: actor.id,
    published,
    to: [recipient],
    cc: [],
    object: {
      id: noteId,
      type: "Note",
      attributedTo: actor.id,
      content: `<p><span class="h-card"><a href="${recipient}" class="u-url mention">@<span>alice</span></a></span> benchmark message ${n} from ${actor.name}: the quick brown fox jumps over the lazy dog</p>`,
      published,
      to: [recipient],
      cc: [],
      sensitive: false,
      context: `${actor.id}/contexts/bench`,
      conversation: `${actor.id}/contexts/bench`,
      tag: [{ type: "Mention", href: recipient, name: "@alice" }],
    },
  };
}
