import type { Metadata } from "next";
import { Avatar } from "@/components/avatar";
import { requireOwner } from "@/lib/auth";
import { env } from "@/lib/env";
import { handleFor } from "@/lib/domain/public-address";
import { ChangePasswordForm } from "./change-password-form";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const owner = await requireOwner();
  return (
    <div className="mx-auto max-w-3xl space-y-8 px-4 py-6">
      <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
      <section aria-labelledby="profile-title" className="rounded-2xl border border-stone-200 bg-white p-5 dark:border-stone-800 dark:bg-stone-900">
        <h2 id="profile-title" className="mb-4 text-lg font-semibold">
          Profile
        </h2>
        <div className="flex items-center gap-4">
          <Avatar src={owner.avatarFile ? `/media/${owner.avatarFile}` : null} name={owner.displayName} size={64} />
          <div className="min-w-0">
            <p className="font-semibold">{owner.displayName}</p>
            <p className="break-all text-sm text-stone-600 dark:text-stone-400">{handleFor(owner.username, env().origin)}</p>
          </div>
        </div>
        {owner.bio && <p className="mt-4 whitespace-pre-line text-stone-700 dark:text-stone-300">{owner.bio}</p>}
      </section>
      <section aria-labelledby="password-title" className="rounded-2xl border border-stone-200 bg-white p-5 dark:border-stone-800 dark:bg-stone-900">
        <h2 id="password-title" className="mb-1 text-lg font-semibold">
          Change password
        </h2>
        <p className="mb-4 text-sm text-stone-600 dark:text-stone-400">
          Changing the password logs out every other browser where you are logged in.
        </p>
        <ChangePasswordForm username={owner.username} />
      </section>
    </div>
  );
}
