import { dismissNotification } from "@/lib/api/notifications";

export const dynamic = "force-dynamic";
export const POST = dismissNotification;
