import { getHistory } from "@/lib/api/statuses";

export const dynamic = "force-dynamic";
export const GET = getHistory;
