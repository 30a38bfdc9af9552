import { listConversations } from "@/lib/api/conversations";

export const dynamic = "force-dynamic";
export const GET = listConversations;
