import {
  deviceStatusAction,
  envelopeStreamAction,
  hideEnvelopeMessageAction,
  keyPackagesOfAction,
  publishKeyPackagesAction,
  registerDeviceAction,
  removeKeyPackageAction,
  sendEnvelopesAction,
} from "@/app/(owner)/e2ee-actions";
import type { SomeActionResult } from "@/lib/action-result";
import type { E2eeTransport } from "@/lib/e2ee/transport-types";

// The browser's side of E2eeTransport (lib/e2ee/transport-types.ts): each call
// is one server action of app/(owner)/e2ee-actions.ts, a refusal becomes an
// Error with the server's words. The MLS engine (lib/e2ee/) takes it from
// e2eeTransport(). Next answers a server action only on a page whose client
// code imports it: engine-context.tsx, in the owner layout, imports this file
// statically, so every owner page can call them.

async function value<T>(result: Promise<SomeActionResult>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new Error(r.error);
  return r.value as T;
}

const transport: E2eeTransport = {
  registerDevice: (input) => value(registerDeviceAction(input)),
  deviceStatus: (input) => value(deviceStatusAction(input)),
  publishKeyPackages: (input) => value(publishKeyPackagesAction(input)),
  removeKeyPackage: (input) => value(removeKeyPackageAction(input)),
  keyPackagesOf: (input) => value(keyPackagesOfAction(input)),
  sendEnvelopes: (input) => value(sendEnvelopesAction(input)),
  envelopeStream: (input) => value(envelopeStreamAction(input)),
  hideEnvelopeMessage: (input) => value(hideEnvelopeMessageAction(input)),
};

export function e2eeTransport(): E2eeTransport {
  return transport;
}
