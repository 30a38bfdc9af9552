import { getMedia, updateMedia } from "@/lib/api/media";

export const dynamic = "force-dynamic";
export const GET = getMedia;
export const PUT = updateMedia;
