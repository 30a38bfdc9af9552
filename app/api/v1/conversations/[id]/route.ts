import { removeConversation } from "@/lib/api/conversations";

export const dynamic = "force-dynamic";
export const DELETE = removeConversation;
