"use server";

import { z } from "zod";
import { fail, ok, type ActionFailure, type ActionResult } from "@/lib/action-result";
import { requireOwner } from "@/lib/auth";
import type { DeviceInfo, PeerKeyPackages, StreamEnvelope } from "@/lib/e2ee/transport-types";
import {
  deviceStatus,
  E2eeError,
  listDevices,
  MAX_KEY_PACKAGES_PER_DEVICE,
  publishKeyPackages,
  registerDevice,
  removeDevice,
  removeKeyPackage,
} from "@/lib/domain/mls-devices";
import { envelopeStream, hideEnvelopeMessage, MAX_ENVELOPES_PER_SEND, MAX_RECIPIENTS, MAX_STREAM_PAGE, sendEnvelopes } from "@/lib/domain/mls-envelopes";
import { SendError } from "@/lib/domain/sending";
import { LookupError } from "@/lib/federation/lookup";
import { keyPackagesOf } from "@/lib/federation/mls-key-packages";

// The calls of E2eeTransport (lib/e2ee/transport-types.ts, docs/E2EE.md) that
// the owner's browser makes, and the two Settings needs. Each checks the owner,
// parses with zod and answers a refusal in plain words (lib/action-result.ts).

function failure(err: unknown): ActionFailure {
  if (err instanceof E2eeError || err instanceof SendError || err instanceof LookupError) return fail(err.message);
  console.error("e2ee action failed:", err);
  return fail("Something went wrong on the server; please try again.");
}

/** Parse the input, do the work, answer in words: every action below is this after its owner check. */
async function run<I, T>(schema: z.ZodType<I>, input: unknown, work: (data: I) => Promise<T>): Promise<ActionResult<T>> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) return fail(parsed.error.issues[0]?.message ?? "The request is malformed.");
  try {
    return ok(await work(parsed.data));
  } catch (err) {
    return failure(err);
  }
}

const deviceId = z.string().min(1).max(64);
// Base64 of at most the largest MLS message (lib/activitypub/mls.ts MAX_MLS_BYTES); the use cases check the bytes.
const content = z.string().min(1, "The content is empty.").max(350_000, "The content is too large.");
const keyPackages = z.array(content).max(MAX_KEY_PACKAGES_PER_DEVICE, `Send at most ${MAX_KEY_PACKAGES_PER_DEVICE} KeyPackages.`);
const actorUrl = z.string().url("Name each person by their actor URL.").max(2000);

const registerSchema = z.object({ name: z.string().max(200), signatureKey: z.string().min(1).max(100), keyPackages });
const deviceSchema = z.object({ deviceId });
const publishSchema = z.object({ deviceId, keyPackages });
const removeKeyPackageSchema = z.object({ deviceId, keyPackageId: z.string().min(1).max(2000) });
const keyPackagesOfSchema = z.object({ deviceId, actors: z.array(actorUrl).min(1, "Name at least one person.").max(MAX_RECIPIENTS + 1) });
const sendSchema = z.object({
  deviceId,
  recipients: z.array(actorUrl).min(1, "Name at least one recipient.").max(MAX_RECIPIENTS, `Name at most ${MAX_RECIPIENTS} recipients.`),
  envelopes: z
    .array(z.object({ kind: z.enum(["Welcome", "PrivateMessage", "PublicMessage", "GroupInfo"]), content, visible: z.boolean() }))
    .min(1, "Send at least one envelope.")
    .max(MAX_ENVELOPES_PER_SEND, `Send at most ${MAX_ENVELOPES_PER_SEND} envelopes at once.`),
});
const streamSchema = z.object({ after: z.number().int().min(0), limit: z.number().int().min(1).max(MAX_STREAM_PAGE).optional() });
const hideSchema = z.object({ messageId: z.string().min(1).max(100) });

export async function registerDeviceAction(input: unknown): Promise<ActionResult<{ deviceId: string; keyPackageIds: string[] }>> {
  await requireOwner();
  return run(registerSchema, input, registerDevice);
}

export async function deviceStatusAction(input: unknown): Promise<ActionResult<{ exists: boolean; keyPackages: number }>> {
  await requireOwner();
  return run(deviceSchema, input, deviceStatus);
}

export async function publishKeyPackagesAction(input: unknown): Promise<ActionResult<{ keyPackageIds: string[]; total: number }>> {
  await requireOwner();
  return run(publishSchema, input, publishKeyPackages);
}

export async function removeKeyPackageAction(input: unknown): Promise<ActionResult<{ total: number }>> {
  await requireOwner();
  return run(removeKeyPackageSchema, input, removeKeyPackage);
}

export async function keyPackagesOfAction(input: unknown): Promise<ActionResult<PeerKeyPackages[]>> {
  await requireOwner();
  return run(keyPackagesOfSchema, input, keyPackagesOf);
}

export async function sendEnvelopesAction(
  input: unknown,
): Promise<ActionResult<{ conversationId: string; objectIds: string[]; messageIds: (string | null)[] }>> {
  await requireOwner();
  return run(sendSchema, input, sendEnvelopes);
}

export async function envelopeStreamAction(input: unknown): Promise<ActionResult<{ envelopes: StreamEnvelope[]; last: number }>> {
  await requireOwner();
  return run(streamSchema, input, envelopeStream);
}

export async function hideEnvelopeMessageAction(input: unknown): Promise<ActionResult<Record<string, never>>> {
  await requireOwner();
  return run(hideSchema, input, hideEnvelopeMessage);
}

export async function listDevicesAction(): Promise<ActionResult<DeviceInfo[]>> {
  await requireOwner();
  return run(z.undefined(), undefined, listDevices);
}

export async function removeDeviceAction(input: unknown): Promise<ActionResult<Record<string, never>>> {
  await requireOwner();
  return run(deviceSchema, input, removeDevice);
}
