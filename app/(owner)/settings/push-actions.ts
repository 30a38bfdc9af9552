"use server";

import { fail, ok, type ActionResult } from "@/lib/action-result";
import { headers } from "next/headers";
import { z } from "zod";
import { currentSessionId, requireOwner } from "@/lib/auth";
import { removeBrowserSubscription, saveBrowserSubscription, setBrowserAlerts } from "@/lib/domain/browser-push";
import { describeDevice } from "@/lib/domain/device";
import { PushSubscriptionError } from "@/lib/domain/push-subscriptions";
import { setSetting } from "@/lib/domain/settings";
import { env } from "@/lib/env";

// Settings → Notifications (push-settings.tsx). Every action checks the owner itself.

const choices = z.object({ mention: z.boolean(), request: z.boolean(), follow: z.boolean() }, { error: "Choose what to be told about." });

const subscription = z.object({
  endpoint: z.string({ error: "The browser gave no push endpoint." }).min(1, "The browser gave no push endpoint.").max(2048, "The push endpoint is longer than 2048 characters."),
  p256dh: z.string({ error: "The browser gave no encryption key." }).min(1, "The browser gave no encryption key.").max(200),
  auth: z.string({ error: "The browser gave no auth secret." }).min(1, "The browser gave no auth secret.").max(200),
  choices,
});

const subscriptionId = z.number({ error: "No device was named." }).int().positive();

/** Save this browser's push subscription (made by its PushManager) for this session. */
export async function subscribePushAction(input: z.input<typeof subscription>): Promise<ActionResult<number>> {
  await requireOwner();
  const parsed = subscription.safeParse(input);
  if (!parsed.success) return fail(parsed.error.issues[0].message);
  const sessionId = await currentSessionId();
  if (!sessionId) return fail("This browser's session is not known; log in again first.");
  const deviceName = describeDevice((await headers()).get("user-agent") ?? "");
  try {
    const saved = await saveBrowserSubscription({ ...parsed.data, sessionId, deviceName }, { allowHttp: env().allowPrivateAddresses });
    return ok(saved.id);
  } catch (err) {
    if (err instanceof PushSubscriptionError) return fail(err.message);
    throw err;
  }
}

export async function setPushAlertsAction(id: number, input: z.input<typeof choices>): Promise<ActionResult> {
  await requireOwner();
  const parsedId = subscriptionId.safeParse(id);
  if (!parsedId.success) return fail(parsedId.error.issues[0].message);
  const parsed = choices.safeParse(input);
  if (!parsed.success) return fail(parsed.error.issues[0].message);
  if (!(await setBrowserAlerts(parsedId.data, parsed.data))) return fail("That device is no longer subscribed.");
  return ok();
}

export async function removePushSubscriptionAction(id: number): Promise<ActionResult> {
  await requireOwner();
  const parsed = subscriptionId.safeParse(id);
  if (!parsed.success) return fail(parsed.error.issues[0].message);
  if (!(await removeBrowserSubscription(parsed.data))) return fail("That device was not subscribed any more.");
  return ok();
}

export async function setPushShowTextAction(show: boolean): Promise<ActionResult> {
  await requireOwner();
  const parsed = z.boolean().safeParse(show);
  if (!parsed.success) return fail("Invalid value.");
  await setSetting("pushShowText", parsed.data);
  return ok();
}
