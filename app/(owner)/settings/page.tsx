import type { Metadata } from "next";
import { currentSessionId, requireOwner } from "@/lib/auth";
import { relativeTime } from "@/components/relative-time";
import { listSessions } from "@/lib/domain/sessions";
import { env } from "@/lib/env";
import { AddressCheck } from "@/components/address-check";
import { Notice } from "@/components/notice";
import { describePublicAddress, handleFor } from "@/lib/domain/public-address";
import { getSetting } from "@/lib/domain/settings";
import { LogoutButton } from "@/components/logout-button";
import { ChangePasswordForm } from "./change-password-form";
import { SessionsList } from "./sessions-list";
import { AppsList } from "./apps-list";
import { listTokens } from "@/lib/domain/oauth";
import { choicesOf } from "@/lib/domain/browser-push";
import { listBrowserSubscriptions } from "@/lib/domain/push-subscriptions";
import { vapidKeys } from "@/lib/domain/vapid";
import { NotificationSettings } from "./push-settings";
import { EncryptionDevices } from "./encryption-devices";
import { listDevices } from "@/lib/domain/mls-devices";
import { AliasesForm, ApproveFollowersToggle, ProfileForm } from "./settings-forms";

export const metadata: Metadata = { title: "Settings" };

function Section({ id, title, intro, children }: { id: string; title: string; intro?: string; children: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className="rounded-2xl border border-stone-200 bg-white p-5 dark:border-stone-800 dark:bg-stone-900">
      <h2 id={id} className="mb-1 text-lg font-semibold">
        {title}
      </h2>
      {intro && <p className="mb-4 text-sm text-stone-600 dark:text-stone-400">{intro}</p>}
      {children}
    </section>
  );
}

export default async function SettingsPage() {
  const owner = await requireOwner();
  const [approve, aliases, sessions, tokens, pushDevices, pushShowText, vapid, e2eeDevices] = await Promise.all([
    getSetting("approveFollowers"),
    getSetting("alsoKnownAs"),
    currentSessionId().then(listSessions),
    listTokens(),
    listBrowserSubscriptions(),
    getSetting("pushShowText"),
    vapidKeys(),
    listDevices(),
  ]);
  const now = new Date();
  const handle = handleFor(owner.username, env().origin);
  const address = describePublicAddress(env().origin);
  return (
    <div className="mx-auto max-w-3xl space-y-6 px-4 py-6">
      <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
      <Section id="profile-title" title="Profile" intro={`What people see at ${handle} before they write to you.`}>
        <ProfileForm displayName={owner.displayName} bio={owner.bio} avatarUrl={owner.avatarFile ? `/media/${owner.avatarFile}` : null} />
      </Section>
      <Section
        id="address-title"
        title="Your address"
        intro={`People reach you at ${handle}. The check fetches your WebFinger, profile and NodeInfo through ${env().origin} the way other servers do, and checks DNS, the certificate, the clock and the queue.`}
      >
        {address.warnings.length > 0 && (
          <div className="mb-4">
            <Notice tone="warning" title="Other servers cannot reach you yet">
              {address.warnings.map((w) => (
                <p key={w.code}>{w.message}</p>
              ))}
            </Notice>
          </div>
        )}
        <AddressCheck />
      </Section>
      <Section
        id="notifications-title"
        title="Notifications"
        intro="Moiety can tell this phone or computer when a message arrives, even when Moiety is closed. Each device is asked once; logging out of a device stops its notifications."
      >
        <NotificationSettings
          vapidKey={vapid.publicKey}
          showText={pushShowText ?? false}
          devices={pushDevices.map((d) => ({
            id: d.id,
            name: d.deviceName || "Unknown browser",
            endpoint: d.endpoint,
            since: relativeTime(d.createdAt, now),
            lastSuccess: d.lastSuccessAt ? relativeTime(d.lastSuccessAt, now) : null,
            choices: choicesOf(d),
          }))}
        />
      </Section>
      <Section id="privacy-title" title="Followers">
        <ApproveFollowersToggle value={approve ?? false} />
      </Section>
      <Section id="aliases-title" title="Moving here">
        <AliasesForm aliases={aliases ?? []} />
      </Section>
      <Section
        id="sessions-title"
        title="Where you are logged in"
        intro="Every browser logged in as you. Ending a session logs that browser out at once, even if someone copied its cookie."
      >
        <div className="space-y-4">
          <SessionsList
            sessions={sessions.map((s) => ({ id: s.id, device: s.device, address: s.address, lastUsed: relativeTime(s.lastUsedAt, now), current: s.current }))}
          />
          <LogoutButton variant="secondary" label="Log out of this browser" />
        </div>
      </Section>
      <Section
        id="e2ee-title"
        title="End-to-end encryption"
        intro="Each browser you use Moiety in keeps its own keys, which never reach this server. Encrypted messages can be read only on these devices. Remove one you no longer use, or that was lost: it will not be able to read new messages."
      >
        <EncryptionDevices devices={e2eeDevices} />
      </Section>
      <Section id="apps-title" title="Apps" intro="Apps you authorized to use your account through the Mastodon API, and tokens made with moiety token create. Revoking one refuses it at once.">
        <AppsList
          apps={tokens
            .filter((t) => t.forOwner)
            .map((t) => ({ id: t.id, name: t.app ? t.app.name : `${t.name} (token)`, scopes: t.scopes.join(" "), lastUsed: t.lastUsedAt ? relativeTime(t.lastUsedAt, now) : null }))}
        />
      </Section>
      <Section id="password-title" title="Change password" intro="Changing the password logs out every other browser where you are logged in.">
        <ChangePasswordForm username={owner.username} />
      </Section>
      <Section
        id="export-title"
        title="Export your messages"
        intro="Every conversation as a readable HTML archive (open index.html) and as conversations.json, with the images you sent, in one .tar.gz file. A full backup of the server (database, keys, media) is made with moiety backup on the command line."
      >
        <a
          href="/settings/export"
          download
          className="inline-flex min-h-11 items-center justify-center rounded-lg border border-stone-300 bg-white px-4 py-2 text-base font-medium text-stone-800 transition-colors hover:bg-stone-100 dark:border-stone-700 dark:bg-stone-900 dark:text-stone-100 dark:hover:bg-stone-800"
        >
          Download an export
        </a>
      </Section>
    </div>
  );
}
