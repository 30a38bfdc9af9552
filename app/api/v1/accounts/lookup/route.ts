import { lookup } from "@/lib/api/account-search";

export const dynamic = "force-dynamic";
export const GET = lookup;
