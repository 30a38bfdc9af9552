import { MLS_CONTEXT } from "../activitypub/mls";

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

/**
 * The MLS over ActivityPub draft's context (lib/activitypub/mls.ts), held here
 * and never fetched. The draft's repository keeps it as context/0.3.0.jsonld, a
 * bare map of terms without the "@context" wrapper a JSON-LD processor needs,
 * so a fetched copy could not be used; and an inbox that cannot load an
 * activity's context refuses it (lib/federation/inbound/remote-contexts.ts).
 * These are that file's terms, wrapped; none renames an AS2 term. `ciphersuite`
 * stays a plain string here (the file types it as an IRI, which would turn a
 * suite's name into a relative URL).
 */
const MLS_CONTEXT_DOCUMENT = {
  "@context": {
    mls: `${MLS_CONTEXT}#`,
    KeyPackage: { "@id": "mls:KeyPackage", "@type": "@id" },
    Welcome: { "@id": "mls:Welcome", "@type": "@id" },
    PrivateMessage: { "@id": "mls:PrivateMessage", "@type": "@id" },
    PublicMessage: { "@id": "mls:PublicMessage", "@type": "@id" },
    GroupInfo: { "@id": "mls:GroupInfo", "@type": "@id" },
    keyPackages: { "@id": "mls:keyPackages", "@type": "@id" },
    messages: { "@id": "mls:messages", "@type": "@id" },
    conversation: { "@id": "mls:conversation", "@type": "@id" },
    encoding: "mls:encoding",
    ciphersuite: "mls:ciphersuite",
  },
};

/** Contexts Moiety holds itself, beside Fedify's. */
const OWN_CONTEXTS: ReadonlyMap<string, unknown> = new Map([[MLS_CONTEXT, MLS_CONTEXT_DOCUMENT]]);

/** Every context served from memory, never fetched. */
export const IN_MEMORY_CONTEXTS: ReadonlySet<string> = new Set([...PRELOADED_CONTEXTS, ...OWN_CONTEXTS.keys()]);

/** One of Moiety's own contexts as a loaded document, or null (then Fedify's preloaded loader has it). */
export function ownContext(url: string): Promise<{ contextUrl: null; document: unknown; documentUrl: string }> | null {
  const document = OWN_CONTEXTS.get(url);
  return document === undefined ? null : Promise.resolve({ contextUrl: null, document, documentUrl: url });
}
