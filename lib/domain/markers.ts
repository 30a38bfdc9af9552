import { writeTransaction, db } from "../db";

// Mastodon's read markers (docs.joinmastodon.org/methods/markers): where the
// owner stopped reading the home timeline and the notifications, shared by
// every app. One Setting row per timeline; `version` counts the saves.

export const MARKER_TIMELINES = ["home", "notifications"] as const;
export type MarkerTimeline = (typeof MARKER_TIMELINES)[number];

export type Marker = { lastReadId: string; version: number; updatedAt: string };

const keyOf = (timeline: MarkerTimeline) => `marker:${timeline}`;

function decode(value: string | undefined): Marker | null {
  if (value === undefined) return null;
  try {
    const m = JSON.parse(value) as Marker;
    return typeof m.lastReadId === "string" && typeof m.version === "number" ? m : null;
  } catch {
    return null;
  }
}

export async function getMarker(timeline: MarkerTimeline): Promise<Marker | null> {
  const row = await db().setting.findUnique({ where: { key: keyOf(timeline) } });
  return decode(row?.value);
}

/**
 * Save a position. As in Mastodon (its optimistic-lock version), a new marker
 * has version 0 and each save that moves it adds one; saving the same position
 * again changes nothing.
 */
export async function saveMarker(timeline: MarkerTimeline, lastReadId: string): Promise<Marker> {
  return writeTransaction(async (tx) => {
    const key = keyOf(timeline);
    const before = decode((await tx.setting.findUnique({ where: { key } }))?.value);
    if (before && before.lastReadId === lastReadId) return before;
    const marker: Marker = { lastReadId, version: before ? before.version + 1 : 0, updatedAt: new Date().toISOString() };
    const value = JSON.stringify(marker);
    await tx.setting.upsert({ where: { key }, create: { key, value }, update: { value } });
    return marker;
  });
}
