import { requireToken } from "./auth";
import { api, json } from "./http";

// Calls apps make on start that Moiety has nothing for (lists, filters, trends…): they answer an
// empty value with 200, since several apps refuse to start on a 404 (issue 13, item 2).

/** A GET answering `body`; with a scope it needs a token that grants it, else it is public. */
export function emptyAnswer(body: unknown, scope?: string) {
  return api(async (request) => {
    if (scope) await requireToken(request, scope);
    return json(body);
  });
}

export const PREFERENCES = {
  "posting:default:visibility": "direct",
  "posting:default:sensitive": false,
  "posting:default:language": null,
  "reading:expand:media": "default",
  "reading:expand:spoilers": false,
};

/** Unknown API paths answer JSON too, so clients' 404 fallbacks (v2 → v1) work. */
export const notFound = api(async () => json({ error: "Record not found" }, 404));
