import type { RemoteActor } from "./contacts";
import { getOwner, type Owner } from "./owner";

// What every use case that sends something to another server shares: the
// error it reports to the owner in plain words, and the owner it sends as.

/** A refusal to send, worded for the owner (the UI and the CLI show its message as is). */
export class SendError extends Error {}

export async function requireSender(): Promise<Owner> {
  const owner = await getOwner();
  if (!owner) throw new SendError("This instance has no owner yet; run setup first.");
  return owner;
}

/** How a message names a remote account: its handle, else its actor URL. */
export function mentionName(a: RemoteActor): string {
  return a.handle ?? a.id;
}
