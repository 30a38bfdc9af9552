import type { Metadata } from "next";
import Link from "next/link";
import { PersonAvatar } from "@/components/person-avatar";
import { requireOwner } from "@/lib/auth";
import { listBlocks, listFollows } from "@/lib/domain/contacts";
import type { Person } from "@/lib/domain/people";
import { OneFieldForm, RowButton } from "./people-forms";

export const metadata: Metadata = { title: "People" };

type FollowRow = Awaited<ReturnType<typeof listFollows>>[number];

function person(f: FollowRow): Person {
  const url = new URL(f.actorId);
  return {
    id: f.actorId,
    name: f.actor?.name ?? f.actor?.handle ?? url.pathname,
    handle: f.actor?.handle ?? f.actorId,
    server: url.host,
    iconUrl: f.actor?.iconUrl ?? null,
    gone: f.actor?.gone ?? false,
  };
}

function Section({ id, title, count, children }: { id: string; title: string; count?: number; children: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className="rounded-2xl border border-stone-200 bg-white p-5 dark:border-stone-800 dark:bg-stone-900">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
        {count !== undefined && <span className="ml-2 text-sm font-normal text-stone-600">{count}</span>}
      </h2>
      {children}
    </section>
  );
}

function PeopleList({ rows, empty, actions }: { rows: FollowRow[]; empty: string; actions: (f: FollowRow) => React.ReactNode }) {
  if (rows.length === 0) return <p className="text-sm text-stone-600 dark:text-stone-400">{empty}</p>;
  return (
    <ul className="divide-y divide-stone-200 dark:divide-stone-800">
      {rows.map((f) => {
        const p = person(f);
        return (
          <li key={f.id} className="flex flex-wrap items-center gap-3 py-2">
            <PersonAvatar person={p} size={36} />
            <span className="min-w-0 flex-1">
              <span className="block truncate font-medium">{p.name}</span>
              <span className="block truncate text-sm text-stone-600 dark:text-stone-400">{p.handle}</span>
            </span>
            <span className="flex flex-wrap gap-2">
              <Link href={`/messages/new?to=${encodeURIComponent(f.actorId)}`} className="inline-flex min-h-9 items-center rounded-lg border border-stone-300 px-3 text-sm dark:border-stone-700">
                Message
              </Link>
              {actions(f)}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

export default async function PeoplePage() {
  await requireOwner();
  const [followers, following, blocks] = await Promise.all([listFollows("in"), listFollows("out"), listBlocks()]);
  const pending = followers.filter((f) => f.state === "pending");
  const accepted = followers.filter((f) => f.state === "accepted");
  return (
    <div className="mx-auto max-w-3xl space-y-6 px-4 py-6">
      <h1 className="text-2xl font-semibold tracking-tight">People</h1>
      <Section id="follow-title" title="Follow someone">
        <OneFieldForm
          action="followAction"
          label="Their address"
          placeholder="@name@server.example"
          button="Follow"
          hint="Following someone lets your messages reach their inbox instead of their message requests on Mastodon."
        />
      </Section>
      {pending.length > 0 && (
        <Section id="pending-title" title="Follow requests" count={pending.length}>
          <PeopleList
            rows={pending}
            empty=""
            actions={(f) => (
              <>
                <RowButton action="approve" value={f.actorId} label="Approve" />
                <RowButton action="reject" value={f.actorId} label="Reject" danger />
              </>
            )}
          />
        </Section>
      )}
      <Section id="followers-title" title="Followers" count={accepted.length}>
        <PeopleList rows={accepted} empty="Nobody follows you yet." actions={(f) => <RowButton action="reject" value={f.actorId} label="Remove" danger />} />
      </Section>
      <Section id="following-title" title="Following" count={following.length}>
        <PeopleList
          rows={following}
          empty="You do not follow anyone yet."
          actions={(f) => (
            <>
              {f.state === "pending" && <span className="self-center text-sm text-stone-600">Waiting for approval</span>}
              <RowButton action="unfollow" value={f.actorId} label="Unfollow" />
            </>
          )}
        />
      </Section>
      <Section id="blocks-title" title="Blocked" count={blocks.length}>
        <div className="grid gap-4 sm:grid-cols-2">
          <OneFieldForm action="blockAccountAction" label="Block an account" placeholder="@name@server.example" button="Block" />
          <OneFieldForm action="blockDomainAction" label="Block a whole server" placeholder="spam.example" button="Block" />
        </div>
        {blocks.length === 0 ? (
          <p className="mt-3 text-sm text-stone-600 dark:text-stone-400">Nobody is blocked. Blocked accounts and servers cannot reach your inbox, and nothing is sent to them.</p>
        ) : (
          <ul className="mt-3 divide-y divide-stone-200 dark:divide-stone-800">
            {blocks.map((b) => (
              <li key={b.id} className="flex items-center justify-between gap-3 py-2">
                <span className="min-w-0 truncate">
                  <span className="text-xs uppercase text-stone-600">{b.kind === "domain" ? "server" : "account"}</span> {b.value}
                </span>
                <RowButton action={b.kind === "domain" ? "unblockDomain" : "unblockActor"} value={b.value} label="Unblock" />
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}
