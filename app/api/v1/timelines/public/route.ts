import { emptyTimeline } from "@/lib/api/conversations";

export const dynamic = "force-dynamic";
export const GET = emptyTimeline;
