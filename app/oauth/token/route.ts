import { api } from "@/lib/api/http";
import { tokenHandler } from "@/lib/api/oauth";

export const dynamic = "force-dynamic";
export const POST = api(tokenHandler);
