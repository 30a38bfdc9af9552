import { verifyCredentials } from "@/lib/api/account-routes";

export const dynamic = "force-dynamic";
export const GET = verifyCredentials;
