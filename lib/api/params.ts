import { ApiError } from "./http";

// Mastodon clients send parameters as JSON, as form fields, or in the query string (Ice Cubes
// sends push subscriptions that way), and arrays as `types[]=a&types[]=b`. They are read alike.

export type Params = Record<string, unknown>;

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Add `value` under a form-style key: `a[]` appends to an array, `a[b]` nests an object. */
function put(target: Params, key: string, value: string): void {
  const path = key.match(/^([^[\]]+)((?:\[[^[\]]*\])*)$/);
  if (!path) {
    target[key] = value;
    return;
  }
  const parts = [path[1], ...[...path[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
  let node: Params = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = parts[i + 1];
    const part = parts[i];
    if (next === "") {
      const list = Array.isArray(node[part]) ? (node[part] as unknown[]) : [];
      node[part] = list;
      list.push(value);
      return;
    }
    const child = node[part];
    node[part] = child && typeof child === "object" && !Array.isArray(child) ? child : {};
    node = node[part] as Params;
  }
  node[parts[parts.length - 1]] = value;
}

export function fromSearchParams(search: URLSearchParams, into: Params = {}): Params {
  for (const [key, value] of search) put(into, key, value);
  return into;
}

/** The request's parameters: the query string, overridden by a JSON or form body. */
export async function readParams(request: Request): Promise<Params> {
  const params = fromSearchParams(new URL(request.url).searchParams);
  if (!BODY_METHODS.has(request.method)) return params;
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type === "multipart/form-data") {
    let form: FormData;
    try {
      form = await request.formData();
    } catch {
      throw new ApiError(400, "The form data in the request body cannot be read.");
    }
    for (const [key, value] of form) if (typeof value === "string") put(params, key, value);
    return params;
  }
  const text = await request.text();
  if (!text.trim()) return params;
  if (type === "application/json" || type.endsWith("+json")) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(400, "The request body is not valid JSON.");
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, "The request body must be a JSON object.");
    return { ...params, ...(body as Params) };
  }
  if (type === "application/x-www-form-urlencoded" || type === "") return fromSearchParams(new URLSearchParams(text), params);
  throw new ApiError(415, `Send parameters as JSON or form fields, not ${type}.`);
}

/** A parameter as one string ("" and absent alike give undefined). */
export function str(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

const TRUE = new Set(["true", "1", "on", "yes"]);

/** A yes/no parameter as Rails reads one (true, 1, on, yes); absent gives undefined. */
export function bool(params: Params, key: string): boolean | undefined {
  const value = str(params, key);
  return value === undefined ? undefined : TRUE.has(value.toLowerCase());
}

/** A parameter given as an array (`k[]=` or JSON) or as one space- or newline-separated string. */
export function list(params: Params, key: string): string[] | undefined {
  const value = params[key] ?? params[`${key}[]`];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string" && v !== "");
  if (typeof value === "string") return value.split(/\s+/).filter(Boolean);
  return undefined;
}
