import type { Metadata } from "next";
import { requireOwner } from "@/lib/auth";
import { NewMessageForm } from "./new-message-form";

export const metadata: Metadata = { title: "New message" };

export default async function NewMessagePage({ searchParams }: { searchParams: Promise<{ to?: string }> }) {
  await requireOwner();
  const { to } = await searchParams;
  return (
    <div className="mx-auto max-w-2xl px-4 py-6">
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">New message</h1>
      <NewMessageForm initialTo={typeof to === "string" ? to : ""} />
    </div>
  );
}
