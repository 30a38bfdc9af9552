import { searchV1 } from "@/lib/api/account-search";

export const dynamic = "force-dynamic";
export const GET = searchV1;
