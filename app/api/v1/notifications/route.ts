import { listNotifications } from "@/lib/api/notifications";

export const dynamic = "force-dynamic";
export const GET = listNotifications;
