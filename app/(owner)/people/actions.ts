"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { fail, ok, type ActionResult } from "@/lib/action-result";
import { requireOwner } from "@/lib/auth";
import { addBlock, removeBlock } from "@/lib/domain/contacts";
import { blockedServerSchema } from "@/lib/domain/validation";
import { LookupError } from "@/lib/federation/lookup";
import { approveFollower, blockActor, followActor, rejectFollower, unfollowActor } from "@/lib/domain/follows";
import { SendError } from "@/lib/domain/sending";

/** Succeeds with the sentence that says what was done. */
export type PeopleResult = ActionResult<string>;

const who = z.string().trim().min(1, "Type an address like @name@server.example.").max(500);

async function run(work: () => Promise<string>): Promise<PeopleResult> {
  try {
    const message = await work();
    revalidatePath("/people");
    return ok(message);
  } catch (err) {
    if (err instanceof SendError || err instanceof LookupError) return fail(err.message);
    console.error("people action failed:", err);
    return fail("Something went wrong on the server; please try again.");
  }
}

export async function followAction(input: string): Promise<PeopleResult> {
  await requireOwner();
  const p = who.safeParse(input);
  if (!p.success) return fail(p.error.issues[0].message);
  return run(async () => `Follow request sent to ${(await followActor(p.data)).handle ?? p.data}.`);
}

export async function unfollowAction(actorId: string): Promise<PeopleResult> {
  await requireOwner();
  const p = who.safeParse(actorId);
  if (!p.success) return fail(p.error.issues[0].message);
  return run(async () => `Unfollowed ${(await unfollowActor(p.data)).handle ?? p.data}.`);
}

export async function approveFollowerAction(actorId: string): Promise<PeopleResult> {
  await requireOwner();
  const p = who.safeParse(actorId);
  if (!p.success) return fail(p.error.issues[0].message);
  return run(async () => {
    await approveFollower(p.data);
    return "Follow request approved.";
  });
}

export async function rejectFollowerAction(actorId: string): Promise<PeopleResult> {
  await requireOwner();
  const p = who.safeParse(actorId);
  if (!p.success) return fail(p.error.issues[0].message);
  return run(async () => {
    await rejectFollower(p.data);
    return "Removed.";
  });
}

export async function blockAccountAction(input: string): Promise<PeopleResult> {
  await requireOwner();
  const p = who.safeParse(input);
  if (!p.success) return fail(p.error.issues[0].message);
  return run(async () => `Blocked ${(await blockActor(p.data)).handle ?? p.data}.`);
}

export async function blockDomainAction(input: string): Promise<PeopleResult> {
  await requireOwner();
  const p = blockedServerSchema.safeParse(input);
  if (!p.success) return fail(p.error.issues[0].message);
  return run(async () => {
    await addBlock("domain", p.data);
    return `Blocked everyone on ${p.data}.`;
  });
}

export async function unblockAction(kind: "actor" | "domain", value: string): Promise<PeopleResult> {
  await requireOwner();
  const p = z.object({ kind: z.enum(["actor", "domain"]), value: z.string().min(1).max(500) }).safeParse({ kind, value });
  if (!p.success) return fail("Nothing to unblock.");
  return run(async () => {
    await removeBlock(p.data.kind, p.data.value);
    return `Unblocked ${p.data.value}.`;
  });
}
