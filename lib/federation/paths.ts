import { env } from "../env";

// Our URL layout, in one place. Fedify's dispatchers use the same patterns.

export const INSTANCE_ACTOR = "instance.actor"; // never a valid username (it has a dot)

export const actorUrl = (username: string) => `${env().origin}/users/${username}`;
export const keyId = (username: string) => `${actorUrl(username)}#main-key`;
export const noteUrl = (username: string, messageId: string) => `${actorUrl(username)}/notes/${messageId}`;
export const contextUrl = (conversationId: string) => `${env().origin}/contexts/${conversationId}`;
