import { isObject } from "../../activitypub/values";

// What an inbox takes before any signature work: an ActivityPub content type,
// UTF-8, JSON that parses to an object, within bounds of depth and size. A real
// activity (a DM, a Follow, an Update of a profile) is far inside them; the
// bounds keep a 1 MiB body of nested or repeated values cheap to refuse.

export type Refusal = { status: number; error: string };

const ACTIVITYPUB_TYPES = new Set(["application/activity+json", "application/ld+json", "application/json"]);

/** Bounds on an inbox body. */
export const INBOX_BODY_LIMITS = { depth: 32, values: 5_000, arrayLength: 500, contexts: 16 };

export function contentTypeProblem(contentType: string | undefined): Refusal | null {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  return ACTIVITYPUB_TYPES.has(type) ? null : { status: 415, error: "An inbox takes application/activity+json." };
}

/** Why a parsed inbox body is too deep or too large, or null. Iterative: deep input cannot overflow the stack. */
export function inboxBodyProblem(root: unknown): string | null {
  const L = INBOX_BODY_LIMITS;
  const stack: [unknown, number][] = [[root, 1]];
  let values = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++values > L.values) return `The activity has more than ${L.values} values.`;
    if (depth > L.depth) return `The activity is nested more than ${L.depth} levels deep.`;
    if (Array.isArray(value)) {
      if (value.length > L.arrayLength) return `The activity has a list of more than ${L.arrayLength} entries.`;
      for (const v of value) stack.push([v, depth + 1]);
    } else if (isObject(value)) {
      const context = value["@context"];
      if (Array.isArray(context) && context.length > L.contexts) return `The activity has more than ${L.contexts} @context entries.`;
      for (const v of Object.values(value)) stack.push([v, depth + 1]);
    }
  }
  return null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as a JSON object within the bounds, or why not (400). */
export function parseInboxBody(body: Buffer): { ok: true; activity: Record<string, unknown>; text: string } | ({ ok: false } & Refusal) {
  let text: string;
  let activity: unknown;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, status: 400, error: "The body is not UTF-8." };
  }
  try {
    activity = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, error: "The body is not JSON." };
  }
  if (!isObject(activity)) return { ok: false, status: 400, error: "The body is not an activity." };
  const tooBig = inboxBodyProblem(activity);
  if (tooBig) return { ok: false, status: 400, error: tooBig };
  return { ok: true, activity, text };
}
