import { authorizeFollowRequest } from "@/lib/api/relationships";

export const dynamic = "force-dynamic";
export const POST = authorizeFollowRequest;
