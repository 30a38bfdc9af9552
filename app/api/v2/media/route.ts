import { uploadMedia } from "@/lib/api/media";

export const dynamic = "force-dynamic";
export const POST = uploadMedia;
