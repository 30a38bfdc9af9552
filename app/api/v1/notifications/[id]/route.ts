import { getNotification } from "@/lib/api/notifications";

export const dynamic = "force-dynamic";
export const GET = getNotification;
