import { api, json } from "@/lib/api/http";
import { instanceV1 } from "@/lib/api/instance";

export const dynamic = "force-dynamic";
export const GET = api(async () => json(await instanceV1()));
