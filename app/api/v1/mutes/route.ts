import { mutes } from "@/lib/api/account-lists";

export const dynamic = "force-dynamic";
export const GET = mutes;
