// Readers for ActivityStreams 2.0 JSON-LD values as servers really send them.
//
// AS2 is JSON-LD, so any property may hold one value or an array of values, and
// a reference may be a bare IRI string or an embedded object. GoToSocial, for
// one, sends one-element arrays as scalars (`"to": "https://…"`, `"tag": {…}`).
// Every reader of remote JSON in this project goes through these helpers so that
// no code path silently assumes one of the shapes.

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One value, many values, or none, as an array (null and undefined are "none"). */
export function asArray<T>(value: T | readonly T[] | null | undefined): T[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined) as T[];
  return [value as T];
}

/** A non-empty string, or undefined for anything else. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/**
 * The IRI a value refers to: the string itself, or an embedded object's `id`.
 * A Link (or Mention) has no identity of its own worth keeping, only a target,
 * so an object without `id` falls back to its `href`.
 */
export function idOf(value: unknown): string | undefined {
  if (typeof value === "string") return stringOf(value);
  if (!isObject(value)) return undefined;
  return stringOf(value.id) ?? stringOf(value.href);
}

/** Every IRI in a scalar-or-array property, in order, without the unusable entries. */
export function idsOf(value: unknown): string[] {
  const ids: string[] = [];
  for (const entry of asArray(value)) {
    const id = idOf(entry);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/**
 * The target of a link-ish value (`url`, `href`): the string, a Link's `href`,
 * or an embedded object's `id`. Unlike idOf, `href` wins over `id`, because a
 * Link's own id names the link, not the resource it points to.
 */
export function hrefOf(value: unknown): string | undefined {
  if (typeof value === "string") return stringOf(value);
  if (!isObject(value)) return undefined;
  return stringOf(value.href) ?? stringOf(value.id);
}

/** The `type` of an object as a list (JSON-LD allows several types). */
export function typesOf(value: unknown): string[] {
  if (!isObject(value)) return [];
  return asArray(value.type).filter((t): t is string => typeof t === "string");
}

/**
 * Whether an object has one of the given types. Compacted JSON-LD from some
 * servers prefixes the vocabulary (`as:Note`), so that prefix is ignored.
 */
export function hasType(value: unknown, ...types: string[]): boolean {
  return typesOf(value).some((t) => types.includes(t.startsWith("as:") ? t.slice(3) : t));
}

/** Whether a string is an absolute http(s) URL (the only kind of IRI we dereference or address). */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === "https:" || url.protocol === "http:") && url.hostname.length > 0;
}
