import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { SafetyNumbers } from "@/components/e2ee/safety-numbers";
import { names } from "@/components/conversation-list";
import { requireOwner } from "@/lib/auth";
import { getThread } from "@/lib/domain/thread-page";

export const metadata: Metadata = { title: "Safety numbers" };

// Comparing safety numbers in person (or over a call) proves that nobody —
// neither server — slipped a device of their own into the conversation.
export default async function SafetyPage({ params }: { params: Promise<{ id: string }> }) {
  await requireOwner();
  const { id } = await params;
  const thread = await getThread(id, {});
  if (!thread) notFound();
  return (
    <div className="mx-auto max-w-2xl space-y-6 p-4">
      <p>
        <Link href={`/messages/${id}`} className="text-sm underline">
          ← Back to the conversation
        </Link>
      </p>
      <h1 className="text-2xl font-semibold">Safety numbers with {names(thread)}</h1>
      <p className="text-stone-700 dark:text-stone-300">
        Meet or call {names(thread)} and check that you both see the same number. If it matches, only your devices and theirs can
        read this conversation: no server added a device of its own. The number changes when either of you adds or removes a device.
      </p>
      <SafetyNumbers conversationId={id} people={thread.participants.map((p) => ({ actor: p.id, name: p.name, handle: p.handle }))} />
    </div>
  );
}
