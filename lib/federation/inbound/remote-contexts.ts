import { isObject } from "../../activitypub/values";
import { ContextCache } from "../context-cache";
import { FetchBudgetExceeded } from "../fetch-budget";
import { IN_MEMORY_CONTEXTS } from "../preloaded-contexts";
import { DocumentFetchError, fetchContextDocument } from "./document-fetch";
import { inboundDb, sqlTime } from "./sqlite";

// Remote JSON-LD @context documents a signed activity names (Pleroma's
// litepub, say), loaded by the inbox before it accepts the activity: one that
// cannot be loaded within bounds (256 KiB, 5 s each, 10 s for all of one
// request's fetches) makes the activity unreadable as JSON-LD, so it is
// refused now (400) rather than accepted and retried for hours. Only a
// sender whose signature verified gets here, and each URL is fetched once and
// kept (successes for hours, failures for a minute) in the same cache
// Fedify's context loader uses (lib/federation/document-loader.ts), so a
// process that runs both fetches it once; and a loaded context is written to
// the KvEntry table, where that loader looks before fetching, for when
// Fedify's queue runs in another process (Next's).

/** The KvEntry key of a loaded remote context (read by lib/federation/document-loader.ts). */
const contextKvKey = (url: string) => JSON.stringify(["moiety", "context", url]);
const KEEP_MS = 6 * 60 * 60_000;

function share(url: string, document: unknown): void {
  inboundDb()
    .prepare(
      `INSERT INTO "KvEntry" ("key", "value", "expiresAt") VALUES (?, ?, ?)
       ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value", "expiresAt" = excluded."expiresAt"`,
    )
    .run(contextKvKey(url), JSON.stringify(document), sqlTime(new Date(Date.now() + KEEP_MS)));
}

/** All of one request's fetches together, the key's included: as the inbox allowed before it left Next. */
export const REQUEST_FETCH_BUDGET_MS = 10_000;

const g = globalThis as unknown as { moietyContextCache?: ContextCache };

function remoteContexts(activity: Record<string, unknown>): string[] {
  const context = activity["@context"];
  const entries = Array.isArray(context) ? context : [context];
  return [...new Set(entries.filter((c): c is string => typeof c === "string" && !IN_MEMORY_CONTEXTS.has(c)))];
}

function reason(error: unknown): string {
  const e = error as Error;
  if (e?.name === "DocumentFetchError") return e.message;
  if (e?.name === "PrivateAddressError") return `A JSON-LD context the activity names is on a private or local network address.`;
  if (error instanceof FetchBudgetExceeded) return "The JSON-LD contexts the activity names took too long to load.";
  return "A JSON-LD context the activity names could not be loaded.";
}

/** Why the activity's remote @context documents cannot be used, or null. */
export async function contextProblem(activity: Record<string, unknown>, deadline: number): Promise<string | null> {
  const urls = remoteContexts(activity);
  if (urls.length === 0) return null;
  g.moietyContextCache ??= new ContextCache();
  const cache = g.moietyContextCache;
  for (const url of urls) {
    try {
      await cache.get(url, async (u) => {
        const left = deadline - Date.now();
        if (left <= 0) throw new FetchBudgetExceeded("The time allowed for fetching remote documents for this request is used up.");
        const document = await fetchContextDocument(u, left).catch((error: unknown) => {
          // Out of time because of the request's budget says nothing about the context itself.
          throw Date.now() >= deadline ? new FetchBudgetExceeded("The time allowed for this request's fetches is used up.") : error;
        });
        if (!isObject(document) || !("@context" in document)) throw new DocumentFetchError(`${u} is not a JSON-LD context.`);
        share(u, document);
        return { contextUrl: null, document, documentUrl: u };
      });
    } catch (error) {
      return reason(error);
    }
  }
  return null;
}
