import { updateCredentials } from "@/lib/api/account-routes";

export const dynamic = "force-dynamic";
export const PATCH = updateCredentials;
