import { getMarkers, saveMarkers } from "@/lib/api/markers";

export const dynamic = "force-dynamic";
export const GET = getMarkers;
export const POST = saveMarkers;
