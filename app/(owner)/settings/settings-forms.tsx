"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Button } from "@/components/button";
import { Field } from "@/components/field";
import { Notice } from "@/components/notice";
import { fail, formErrors } from "@/lib/action-result";
import { setAliasesAction, setApproveFollowersAction, updateProfileAction } from "./actions";

type Errors = Record<string, string>;

export function ProfileForm({ displayName, bio, avatarUrl }: { displayName: string; bio: string; avatarUrl: string | null }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [saved, setSaved] = useState(false);
  const [bioText, setBioText] = useState(bio);
  const [file, setFile] = useState<File | null>(null);
  const [remove, setRemove] = useState(false);
  const [preview, setPreview] = useState<string | null>(avatarUrl);

  useEffect(() => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  return (
    <form
      className="space-y-4"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        form.delete("avatar");
        if (file) form.set("avatar", file);
        if (remove) form.set("removeAvatar", "1");
        setBusy(true);
        setSaved(false);
        const r = await updateProfileAction(form).catch(() => fail("Could not reach the server."));
        setBusy(false);
        if (!r.ok) return setErrors(formErrors(r));
        setErrors({});
        setSaved(true);
        setFile(null);
        router.refresh();
      }}
    >
      {saved && <Notice tone="success">Profile saved. Your followers&apos; servers are told about the change.</Notice>}
      {errors.form && <Notice tone="error">{errors.form}</Notice>}
      <Field label="Display name" name="displayName" defaultValue={displayName} error={errors.displayName} maxLength={100} />
      <Field label="Bio" name="bio" multiline value={bioText} onChange={(e) => setBioText(e.target.value)} error={errors.bio} hint={`${bioText.length}/500`} maxLength={500} />
      <div>
        <label htmlFor="profile-avatar" className="mb-1 block text-sm font-medium">
          Avatar
        </label>
        <div className="flex flex-wrap items-center gap-4">
          {preview && !remove ? (
            // eslint-disable-next-line @next/next/no-img-element -- own media or a local preview
            <img src={preview} alt="Current avatar" className="size-16 rounded-full object-cover" />
          ) : (
            <span aria-hidden className="size-16 rounded-full bg-stone-200 dark:bg-stone-700" />
          )}
          <input
            id="profile-avatar"
            type="file"
            accept="image/png,image/jpeg,image/webp,image/gif"
            aria-invalid={errors.avatar ? true : undefined}
            aria-describedby="profile-avatar-hint"
            onChange={(e) => {
              setRemove(false);
              setFile(e.target.files?.[0] ?? null);
            }}
            className="min-w-0 flex-1 text-sm file:mr-3 file:min-h-11 file:rounded-lg file:border-0 file:bg-stone-200 file:px-3 file:font-medium dark:file:bg-stone-700 dark:file:text-stone-100"
          />
          {(avatarUrl || file) && (
            <label className="inline-flex items-center gap-2 text-sm">
              <input type="checkbox" checked={remove} onChange={(e) => setRemove(e.target.checked)} className="size-4" />
              Remove avatar
            </label>
          )}
        </div>
        <p id="profile-avatar-hint" className="mt-1 text-sm text-stone-600 dark:text-stone-400">
          PNG, JPEG, WebP or GIF, up to 2 MB.
        </p>
        {errors.avatar && <p className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">{errors.avatar}</p>}
      </div>
      <Button type="submit" busy={busy}>
        Save profile
      </Button>
    </form>
  );
}

export function ApproveFollowersToggle({ value }: { value: boolean }) {
  const router = useRouter();
  const [checked, setChecked] = useState(value);
  const [busy, setBusy] = useState(false);
  return (
    <label className="flex items-start gap-3">
      <input
        type="checkbox"
        className="mt-1 size-5"
        checked={checked}
        disabled={busy}
        onChange={async (e) => {
          const next = e.target.checked;
          setChecked(next);
          setBusy(true);
          const r = await setApproveFollowersAction(next).catch(() => fail("Could not reach the server."));
          setBusy(false);
          if (!r.ok) setChecked(!next);
          router.refresh();
        }}
      />
      <span>
        <span className="block font-medium">Approve followers</span>
        <span className="block text-sm text-stone-600 dark:text-stone-400">
          New follow requests wait for you on the People page instead of being accepted automatically.
        </span>
      </span>
    </label>
  );
}

export function AliasesForm({ aliases }: { aliases: string[] }) {
  const router = useRouter();
  const [text, setText] = useState(aliases.join("\n"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  return (
    <form
      className="space-y-3"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setSaved(false);
        const r = await setAliasesAction(text).catch(() => fail("Could not reach the server."));
        setBusy(false);
        if (!r.ok) return setError(r.error);
        setError(null);
        setSaved(true);
        router.refresh();
      }}
    >
      <Field
        label="Also known as"
        name="aliases"
        multiline
        value={text}
        onChange={(e) => setText(e.target.value)}
        error={error ?? undefined}
        hint="Your old accounts, one per line (@name@old.server or a profile link). Needed before you move followers from an old account to this one."
      />
      {saved && <Notice tone="success">Aliases saved.</Notice>}
      <Button type="submit" variant="secondary" busy={busy}>
        Save aliases
      </Button>
    </form>
  );
}
