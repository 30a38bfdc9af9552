import { createStatus } from "@/lib/api/statuses";

export const dynamic = "force-dynamic";
export const POST = createStatus;
