import { followRequests } from "@/lib/api/account-lists";

export const dynamic = "force-dynamic";
export const GET = followRequests;
