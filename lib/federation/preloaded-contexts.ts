// JSON-LD contexts Fedify ships preloaded (the keys of its runtime/contexts.js):
// served from memory by Fedify's own loader, never fetched. Every other
// @context URL a sender names is fetched (lib/federation/document-loader.ts,
// and first by the inbox, lib/federation/inbound/remote-contexts.ts).
export const PRELOADED_CONTEXTS = new Set([
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
  "https://w3id.org/security/data-integrity/v1",
  "https://www.w3.org/ns/did/v1",
  "https://w3id.org/security/multikey/v1",
  "https://w3id.org/identity/v1",
  "https://purl.archive.org/socialweb/webfinger",
  "http://schema.org/",
  "https://gotosocial.org/ns",
]);
