import { getContext } from "@/lib/api/statuses";

export const dynamic = "force-dynamic";
export const GET = getContext;
