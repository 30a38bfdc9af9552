import { emptyTimeline } from "@/lib/api/timelines";

export const dynamic = "force-dynamic";
export const GET = emptyTimeline;
