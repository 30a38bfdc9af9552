import { api, json } from "@/lib/api/http";
import { instanceV2 } from "@/lib/api/instance";

export const dynamic = "force-dynamic";
export const GET = api(async () => json(await instanceV2()));
