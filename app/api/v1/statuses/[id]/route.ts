import { deleteStatus, editStatus, getStatus } from "@/lib/api/statuses";

export const dynamic = "force-dynamic";
export const GET = getStatus;
export const PUT = editStatus;
export const DELETE = deleteStatus;
