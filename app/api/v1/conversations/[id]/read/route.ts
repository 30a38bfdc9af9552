import { readConversation } from "@/lib/api/conversations";

export const dynamic = "force-dynamic";
export const POST = readConversation;
