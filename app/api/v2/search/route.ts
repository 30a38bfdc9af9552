import { searchV2 } from "@/lib/api/account-search";

export const dynamic = "force-dynamic";
export const GET = searchV2;
