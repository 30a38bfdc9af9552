import { api } from "@/lib/api/http";
import { revokeHandler } from "@/lib/api/oauth";

export const dynamic = "force-dynamic";
export const POST = api(revokeHandler);
