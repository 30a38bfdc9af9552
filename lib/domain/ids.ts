import { randomBytes } from "node:crypto";

/** Short random ids for conversations and messages: unguessable, URL-safe, sortable enough. */
export function newId(): string {
  return Date.now().toString(36) + randomBytes(8).toString("hex");
}
