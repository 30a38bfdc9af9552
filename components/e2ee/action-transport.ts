import * as actions from "@/app/(owner)/e2ee-actions";
import type { ActionResult } from "@/lib/action-result";
import type { E2eeTransport } from "@/lib/e2ee/transport-types";

// The engine's calls to this server, as server actions: the owner's session
// cookie authenticates them and Next checks their origin. A refusal becomes an
// Error carrying the server's plain-words reason.

async function value<T>(call: Promise<ActionResult<T>>): Promise<T> {
  let r: ActionResult<T>;
  try {
    r = await call;
  } catch {
    throw new Error("Could not reach your Moiety server. Check your connection and try again.");
  }
  if (!r.ok) throw new Error(r.error);
  return r.value as T;
}

export function actionTransport(): E2eeTransport {
  return {
    registerDevice: (input) => value(actions.registerDevice(input)),
    deviceStatus: (input) => value(actions.deviceStatus(input)),
    publishKeyPackages: (input) => value(actions.publishKeyPackages(input)),
    removeKeyPackage: (input) => value(actions.removeKeyPackage(input)),
    keyPackagesOf: (input) => value(actions.keyPackagesOf(input)),
    sendEnvelopes: (input) => value(actions.sendEnvelopes(input)),
    envelopeStream: (input) => value(actions.envelopeStream(input)),
    hideEnvelopeMessage: (input) => value(actions.hideEnvelopeMessage(input)),
  };
}
