import type { Metadata } from "next";
import Link from "next/link";
import { ConversationList } from "@/components/conversation-list";
import { Address } from "@/components/address";
import { AddressCheck } from "@/components/address-check";
import { Notice } from "@/components/notice";
import { requireOwner } from "@/lib/auth";
import { env } from "@/lib/env";
import { conversationPage, type Tab } from "@/lib/domain/conversation-list";
import { requestTabCounts } from "../tab-counts";
import { describePublicAddress, handleFor } from "@/lib/domain/public-address";
import { MessagesShell } from "./shell";

export const metadata: Metadata = { title: "Messages" };

function parseTab(v: string | string[] | undefined): Tab {
  return v === "requests" || v === "archived" ? v : "inbox";
}

export default async function MessagesPage({ searchParams }: { searchParams: Promise<{ welcome?: string; tab?: string; before?: string }> }) {
  const owner = await requireOwner();
  const sp = await searchParams;
  const tab = parseTab(sp.tab);
  const before = typeof sp.before === "string" && sp.before ? sp.before.slice(0, 200) : undefined;
  const [{ conversations, older }, counts] = await Promise.all([conversationPage(tab, before), requestTabCounts()]);
  const address = describePublicAddress(env().origin);
  const handle = handleFor(owner.username, env().origin);
  const nothingYet = !before && conversations.length === 0 && tab === "inbox" && counts.requests === 0;
  // What a new owner must see first is shown on phones too, above the (empty) list.
  const firstSteps = Boolean(sp.welcome) || nothingYet || address.warnings.length > 0;

  return (
    <MessagesShell
      list={<ConversationList tab={tab} conversations={conversations} older={older} before={before} requestCount={counts.requests} quietWhenEmpty={nothingYet} />}
      mobile={firstSteps ? "both" : "list"}
    >
      <div className="mx-auto max-w-xl space-y-6 px-4 py-4 md:py-8">
        <h1 className="text-2xl font-semibold tracking-tight">Messages</h1>
        {sp.welcome && (
          <>
            <Notice tone="success">Welcome, {owner.displayName}. Your Moiety is set up.</Notice>
            <section aria-labelledby="check-title" className="rounded-2xl border border-stone-200 bg-white p-5 dark:border-stone-800 dark:bg-stone-900">
              <h2 id="check-title" className="mb-1 text-lg font-semibold">
                Last step: is your address right?
              </h2>
              <p className="mb-3 text-sm text-stone-600 dark:text-stone-400">
                Moiety fetches its own WebFinger, profile and NodeInfo through {env().origin} — the way Mastodon will — and checks DNS, the
                certificate, the clock and the queue.
              </p>
              <AddressCheck />
            </section>
          </>
        )}
        {nothingYet ? (
          <section aria-labelledby="empty-title" className="rounded-2xl border border-dashed border-stone-300 bg-white px-6 py-10 text-center dark:border-stone-700 dark:bg-stone-900">
            <h2 id="empty-title" className="text-lg font-semibold">
              No conversations yet
            </h2>
            <p className="mx-auto mt-2 max-w-prose text-stone-600 dark:text-stone-400">
              Your address is <strong className="text-stone-900 dark:text-stone-100">
                <Address value={handle} />
              </strong>. Give it to the
              people you talk to: on Mastodon and other servers they search for it and send you a direct message (visibility
              “Mentioned people only”). Their messages will appear here.
            </p>
            <p className="mx-auto mt-2 max-w-prose text-sm text-stone-600 dark:text-stone-400">
              Every conversation stays on this server, under your control. The servers of the people you write to keep their own
              copy, and their admins can read it: Moiety always shows you which servers those are.
            </p>
            <Link href="/messages/new" className="mt-5 inline-flex min-h-11 items-center rounded-lg bg-accent-600 px-4 font-medium text-white hover:bg-accent-700">
              Write your first message
            </Link>
          </section>
        ) : (
          <div className="hidden text-center text-stone-600 md:block dark:text-stone-400">
            <p>Choose a conversation, or</p>
            <Link href="/messages/new" className="mt-3 inline-flex min-h-11 items-center rounded-lg bg-accent-600 px-4 font-medium text-white hover:bg-accent-700">
              Write a new message
            </Link>
          </div>
        )}
        {address.warnings.length > 0 && (
          <Notice tone="warning" title="Other servers cannot reach you yet">
            {address.warnings.map((w) => (
              <p key={w.code}>{w.message}</p>
            ))}
          </Notice>
        )}
      </div>
    </MessagesShell>
  );
}
