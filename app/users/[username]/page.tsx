import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Address } from "@/components/address";
import { Avatar } from "@/components/avatar";
import { Brand } from "@/components/brand";
import { env } from "@/lib/env";
import { getOwner } from "@/lib/domain/owner";
import { handleFor } from "@/lib/domain/public-address";
import { actorUrl } from "@/lib/federation/paths";

// The public profile a browser sees at the actor URL. Servers asking for
// ActivityPub at the same URL get the actor document (proxy.ts → Fedify).
// Nothing about conversations is ever shown here.

export const dynamic = "force-dynamic";

async function ownerFor(username: string) {
  const owner = await getOwner();
  return owner && owner.username === username ? owner : null;
}

export async function generateMetadata({ params }: { params: Promise<{ username: string }> }): Promise<Metadata> {
  const owner = await ownerFor((await params).username);
  if (!owner) return {};
  return {
    title: `${owner.displayName} (${handleFor(owner.username, env().origin)})`,
    alternates: { types: { "application/activity+json": actorUrl(owner.username) } },
  };
}

export default async function ProfilePage({ params }: { params: Promise<{ username: string }> }) {
  const owner = await ownerFor((await params).username);
  if (!owner) notFound();
  const handle = handleFor(owner.username, env().origin);
  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-xl flex-col px-4 py-10">
      <div className="rounded-2xl border border-stone-200 bg-white p-6 text-center dark:border-stone-800 dark:bg-stone-900">
        <div className="flex justify-center">
          <Avatar src={owner.avatarFile ? `/media/${owner.avatarFile}` : null} name={owner.displayName} size={96} />
        </div>
        <h1 className="mt-4 text-2xl font-semibold">{owner.displayName}</h1>
        <p className="mt-1 text-stone-600 dark:text-stone-400">
          <Address value={handle} />
        </p>
        {owner.bio && <p className="mt-4 whitespace-pre-line text-stone-800 dark:text-stone-200">{owner.bio}</p>}
        <p className="mt-6 text-sm text-stone-600 dark:text-stone-400">
          To write to {owner.displayName}, search for <strong>
            <Address value={handle} />
          </strong> on your Mastodon (or other
          fediverse) server and send a direct message.
        </p>
      </div>
      <p className="mt-6 text-center text-sm text-stone-500">
        <Brand className="text-sm" /> · a personal server for direct messages
      </p>
    </main>
  );
}
