import { showAccount } from "@/lib/api/account-routes";

export const dynamic = "force-dynamic";
export const GET = showAccount;
