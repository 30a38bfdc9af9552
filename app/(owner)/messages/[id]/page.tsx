import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ConversationList, names } from "@/components/conversation-list";
import { ThreadPane } from "@/components/thread-view";
import { requireOwner } from "@/lib/auth";
import { MarkRead } from "@/components/mark-read";
import { getThread, listConversationSummaries, tabCounts } from "@/lib/domain/inbox";
import { MessagesShell } from "../shell";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  await requireOwner();
  const thread = await getThread((await params).id);
  return { title: thread ? names(thread) : "Conversation" };
}

export default async function ThreadPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ m?: string }> }) {
  await requireOwner();
  const { id } = await params;
  const { m } = await searchParams;
  const thread = await getThread(id);
  if (!thread) notFound();
  const tab = thread.isRequest ? "requests" : thread.archived ? "archived" : "inbox";
  const [conversations, counts] = await Promise.all([listConversationSummaries(tab), tabCounts()]);
  return (
    <MessagesShell list={<ConversationList tab={tab} conversations={conversations} activeId={id} requestCount={counts.requests} />}>
      <ThreadPane thread={thread} highlight={m} />
      {/* Opening a conversation reads it; requests stay unread until accepted. */}
      {!thread.isRequest && <MarkRead conversationId={id} unread={conversations.find((c) => c.id === id)?.unread ?? 0} />}
    </MessagesShell>
  );
}
