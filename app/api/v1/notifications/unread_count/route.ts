import { unreadCount } from "@/lib/api/notifications";

export const dynamic = "force-dynamic";
export const GET = unreadCount;
