import { cache } from "react";
import { tabCounts } from "@/lib/domain/conversation-list";

/** The unread and request counts, read once per request (the layout and the messages pages both show them). */
export const requestTabCounts = cache(tabCounts);
