import { MARKER_TIMELINES, getMarker, saveMarker, type Marker, type MarkerTimeline } from "../domain/markers";
import { requireToken } from "./auth";
import { api, ApiError, json } from "./http";
import { parseApiId } from "./ids";
import { list, readParams, type Params } from "./params";

// GET and POST /api/v1/markers (docs.joinmastodon.org/methods/markers), with
// Mastodon's scopes: reading needs read:statuses, saving write:statuses.

function entity(m: Marker) {
  return { last_read_id: m.lastReadId, version: m.version, updated_at: m.updatedAt };
}

const isTimeline = (t: string): t is MarkerTimeline => (MARKER_TIMELINES as readonly string[]).includes(t);

export const getMarkers = api(async (request) => {
  await requireToken(request, "read:statuses");
  const params = await readParams(request);
  const out: Record<string, ReturnType<typeof entity>> = {};
  for (const timeline of new Set(list(params, "timeline") ?? [])) {
    if (!isTimeline(timeline)) continue;
    const marker = await getMarker(timeline);
    if (marker) out[timeline] = entity(marker);
  }
  return json(out);
});

/** `home[last_read_id]` as a form field, or `{"home": {"last_read_id": …}}` as JSON. */
function positionOf(params: Params, timeline: MarkerTimeline): string | undefined {
  const value = params[timeline];
  if (value === undefined) return undefined;
  const id = value && typeof value === "object" && !Array.isArray(value) ? (value as Params).last_read_id : undefined;
  const text = typeof id === "number" ? String(id) : id;
  if (typeof text !== "string" || parseApiId(text) === null) {
    throw new ApiError(422, `Validation failed: ${timeline}[last_read_id] must be a status or notification id (a decimal number)`);
  }
  return text;
}

export const saveMarkers = api(async (request) => {
  await requireToken(request, "write:statuses");
  const params = await readParams(request);
  const wanted = MARKER_TIMELINES.map((t) => [t, positionOf(params, t)] as const).filter((e): e is readonly [MarkerTimeline, string] => e[1] !== undefined);
  const out: Record<string, ReturnType<typeof entity>> = {};
  for (const [timeline, id] of wanted) out[timeline] = entity(await saveMarker(timeline, id));
  return json(out);
});
