// What every part of the engine works with: the server, the sealed records, the
// owner, and a clock (tests move it to pass the 10-minute throttle).
import type { E2eeTransport } from "./transport-types";
import type { Vault } from "./vault";
import type { DeviceRecord } from "./device";
import { R } from "./records";

export type EngineContext = {
  transport: E2eeTransport;
  vault: Vault;
  owner: string;
  deviceName: string;
  now: () => number;
};

export async function requireDevice(ctx: EngineContext): Promise<DeviceRecord> {
  const device = await ctx.vault.get<DeviceRecord>(R.device);
  if (!device) throw new Error("This browser is not set up for encrypted messages yet: call ensureDevice first.");
  return device;
}
