import { clearNotifications } from "@/lib/api/notifications";

export const dynamic = "force-dynamic";
export const POST = clearNotifications;
