import { api } from "@/lib/api/http";
import { registerAppHandler } from "@/lib/api/oauth";

export const dynamic = "force-dynamic";
export const POST = api(registerAppHandler);
