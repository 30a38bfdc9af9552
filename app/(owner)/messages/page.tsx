import type { Metadata } from "next";
import { Notice } from "@/components/notice";
import { requireOwner } from "@/lib/auth";
import { env } from "@/lib/env";
import { describePublicAddress, handleFor } from "@/lib/domain/public-address";

export const metadata: Metadata = { title: "Messages" };

export default async function MessagesPage({ searchParams }: { searchParams: Promise<{ welcome?: string }> }) {
  const owner = await requireOwner();
  const { welcome } = await searchParams;
  const address = describePublicAddress(env().origin);
  const handle = handleFor(owner.username, env().origin);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold tracking-tight">Messages</h1>
      {welcome && <Notice tone="success">Welcome, {owner.displayName}. Your Moiety is set up.</Notice>}
      <section
        aria-labelledby="empty-title"
        className="rounded-2xl border border-dashed border-stone-300 bg-white px-6 py-10 text-center dark:border-stone-700 dark:bg-stone-900"
      >
        <h2 id="empty-title" className="text-lg font-semibold">
          No conversations yet
        </h2>
        <p className="mx-auto mt-2 max-w-prose text-stone-600 dark:text-stone-400">
          Your address is <strong className="break-all text-stone-900 dark:text-stone-100">{handle}</strong>. Give it to
          the people you talk to: on Mastodon and other servers they search for it and send you a direct message
          (visibility “Mentioned people only”). Their messages will appear here.
        </p>
        <p className="mx-auto mt-2 max-w-prose text-sm text-stone-600 dark:text-stone-400">
          Every conversation stays on this server, under your control. The servers of the people you write to keep
          their own copy, and their admins can read it: Moiety will always show you which servers those are.
        </p>
      </section>
      {address.warnings.length > 0 && (
        <Notice tone="warning" title="Other servers cannot reach you yet">
          {address.warnings.map((w) => (
            <p key={w.code}>{w.message}</p>
          ))}
        </Notice>
      )}
    </div>
  );
}
