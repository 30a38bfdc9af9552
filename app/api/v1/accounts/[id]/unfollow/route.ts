import { unfollow } from "@/lib/api/relationships";

export const dynamic = "force-dynamic";
export const POST = unfollow;
