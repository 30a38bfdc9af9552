"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/button";
import { Address } from "@/components/address";
import { Field } from "@/components/field";
import { Notice } from "@/components/notice";
import { formErrors } from "@/lib/action-result";
import { usernameSchema } from "@/lib/domain/validation";
import { checkAccountAction, finishSetupAction, verifySetupCodeAction } from "./actions";

const STEPS = ["Setup code", "Address", "Account", "Profile"] as const;
const AVATAR_MAX = 2 * 1024 * 1024;
const AVATAR_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];

/** Which step shows a field, so a server error sends the person back to it. */
const STEP_OF_FIELD: Record<string, number> = {
  code: 0,
  username: 2,
  displayName: 2,
  password: 2,
  confirmPassword: 2,
  bio: 3,
  avatar: 3,
};

type Props = { initialCode: string; host: string; origin: string; warnings: string[] };
type Errors = Record<string, string>;

export function SetupWizard({ initialCode, host, origin, warnings }: Props) {
  const router = useRouter();
  const [step, setStep] = useState(0);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [code, setCode] = useState(initialCode);
  const [account, setAccount] = useState({ username: "", displayName: "", password: "", confirmPassword: "" });
  const [bio, setBio] = useState("");
  const [avatar, setAvatar] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  // Move focus to the new step's heading so keyboard and screen reader users follow along.
  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  useEffect(() => {
    if (!avatar) return setPreview(null);
    const url = URL.createObjectURL(avatar);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [avatar]);

  function showErrors(e: Errors) {
    setErrors(e);
    const steps = Object.keys(e).map((k) => STEP_OF_FIELD[k]).filter((s) => s !== undefined);
    if (steps.length > 0) setStep(Math.min(...steps));
  }

  async function run(action: () => Promise<void>) {
    setBusy(true);
    try {
      await action();
    } catch {
      setErrors({ form: "Could not reach the server. Check that Moiety is still running and try again." });
    } finally {
      setBusy(false);
    }
  }

  const submitCode = () =>
    run(async () => {
      const r = await verifySetupCodeAction(code);
      if (r.ok) {
        setErrors({});
        setStep(1);
      } else showErrors(formErrors(r));
    });

  const submitAccount = () =>
    run(async () => {
      const r = await checkAccountAction(account);
      if (r.ok) {
        setErrors({});
        setStep(3);
      } else showErrors(formErrors(r));
    });

  const finish = () =>
    run(async () => {
      const form = new FormData();
      form.set("code", code);
      for (const [k, v] of Object.entries(account)) form.set(k, v);
      form.set("bio", bio);
      if (avatar) form.set("avatar", avatar);
      const r = await finishSetupAction(form);
      if (!r.ok) return showErrors(formErrors(r));
      const login = await signIn("credentials", { username: r.value, password: account.password, redirect: false });
      if (!login?.ok) {
        router.replace("/login?setup=done");
        return;
      }
      router.replace("/messages?welcome=1");
      router.refresh();
    });

  function chooseAvatar(file: File | null) {
    setErrors(({ avatar: _drop, ...rest }) => rest);
    if (!file) return setAvatar(null);
    if (!AVATAR_TYPES.includes(file.type)) {
      setAvatar(null);
      return setErrors((e) => ({ ...e, avatar: "Use a PNG, JPEG, WebP or GIF image." }));
    }
    if (file.size > AVATAR_MAX) {
      setAvatar(null);
      return setErrors((e) => ({ ...e, avatar: "The image is larger than 2 MB." }));
    }
    setAvatar(file);
  }

  // The hint shows the address only for a name that is allowed, never "@Alice!@…".
  const usernameOk = usernameSchema.safeParse(account.username).success;
  const handle = `@${account.username.trim()}@${host}`;

  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (step === 0) submitCode();
    else if (step === 1) {
      setErrors({});
      setStep(2);
    } else if (step === 2) submitAccount();
    else finish();
  };

  return (
    <div className="rounded-2xl border border-stone-200 bg-white p-5 shadow-sm sm:p-8 dark:border-stone-800 dark:bg-stone-900">
      <ol className="mb-6 grid grid-cols-4 gap-2 text-xs sm:text-sm" aria-label="Setup steps">
        {STEPS.map((name, i) => (
          <li key={name} aria-current={i === step ? "step" : undefined} className="flex flex-col gap-1">
            <span
              className={`h-1.5 rounded-full ${i <= step ? "bg-accent-600" : "bg-stone-200 dark:bg-stone-700"}`}
            />
            <span className={i === step ? "font-semibold" : "text-stone-500 dark:text-stone-400"}>
              <span className="sr-only">Step {i + 1}: </span>
              {name}
            </span>
          </li>
        ))}
      </ol>

      <form onSubmit={onSubmit} noValidate className="space-y-5">
        {errors.form && <Notice tone="error">{errors.form}</Notice>}

        {step === 0 && (
          <>
            <StepHeading ref={heading}>Prove it is your server</StepHeading>
            <p className="text-stone-600 dark:text-stone-400">
              Moiety printed a one-time setup code in its log when it started (for a container:{" "}
              <code className="rounded bg-stone-100 px-1 dark:bg-stone-800">docker logs moiety</code>). It keeps
              strangers from claiming your server before you do.
            </p>
            <Field
              label="Setup code"
              name="code"
              value={code}
              onChange={(e) => setCode(e.target.value)}
              error={errors.code}
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              placeholder="XXXX-XXXX-XXXX"
              inputClassName="font-mono"
            />
          </>
        )}

        {step === 1 && (
          <>
            <StepHeading ref={heading}>Your public address</StepHeading>
            <p className="text-stone-600 dark:text-stone-400">
              People on Mastodon and other servers will find you as
            </p>
            <p className="rounded-lg bg-stone-100 px-4 py-3 font-mono text-lg dark:bg-stone-800">
              @<span className="text-stone-500">name</span>
              <wbr />
              <Address value={`@${host}`} />
            </p>
            <p className="text-sm text-stone-600 dark:text-stone-400">
              This comes from <code>MOIETY_ORIGIN</code>, currently{" "}
              <code>
                <Address value={origin} />
              </code>. It
              cannot be changed later without losing your followers, so make sure it is the address you want.
            </p>
            {warnings.length > 0 ? (
              <Notice tone="warning" title="Other servers cannot reach you at this address">
                {warnings.map((w) => (
                  <p key={w}>{w}</p>
                ))}
                <p>You can finish setup now and try Moiety on this machine; federation needs a public https address.</p>
              </Notice>
            ) : (
              <Notice tone="success">This is a public https address. Good.</Notice>
            )}
          </>
        )}

        {step === 2 && (
          <>
            <StepHeading ref={heading}>Your account</StepHeading>
            <Field
              label="Username"
              name="username"
              value={account.username}
              onChange={(e) => setAccount({ ...account, username: e.target.value })}
              error={errors.username}
              hint={
                <>
                  Lowercase letters, digits and _.{" "}
                  {usernameOk ? (
                    <>
                      Your address will be{" "}
                      <strong>
                        <Address value={handle} />
                      </strong>
                    </>
                  ) : (
                    <>
                      Your address will be @name
                      <wbr />
                      <Address value={`@${host}`} />
                    </>
                  )}
                </>
              }
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={30}
            />
            <Field
              label="Display name"
              name="displayName"
              value={account.displayName}
              onChange={(e) => setAccount({ ...account, displayName: e.target.value })}
              error={errors.displayName}
              autoComplete="name"
              maxLength={100}
            />
            <Field
              label="Password"
              name="password"
              type="password"
              value={account.password}
              onChange={(e) => setAccount({ ...account, password: e.target.value })}
              error={errors.password}
              hint="At least 12 characters. A few random words work well."
              autoComplete="new-password"
            />
            <Field
              label="Repeat the password"
              name="confirmPassword"
              type="password"
              value={account.confirmPassword}
              onChange={(e) => setAccount({ ...account, confirmPassword: e.target.value })}
              error={errors.confirmPassword}
              autoComplete="new-password"
            />
          </>
        )}

        {step === 3 && (
          <>
            <StepHeading ref={heading}>Your profile</StepHeading>
            <p className="text-stone-600 dark:text-stone-400">
              This is what people see before they write to you. Both are optional.
            </p>
            <Field
              label="Bio"
              name="bio"
              multiline
              value={bio}
              onChange={(e) => setBio(e.target.value)}
              error={errors.bio}
              hint={`${bio.length}/500`}
              maxLength={500}
            />
            <div>
              <label htmlFor="avatar" className="mb-1 block text-sm font-medium">
                Avatar
              </label>
              <div className="flex items-center gap-4">
                {preview ? (
                  // eslint-disable-next-line @next/next/no-img-element -- a local object URL preview
                  <img src={preview} alt="Avatar preview" className="size-16 rounded-full object-cover" />
                ) : (
                  <span aria-hidden className="size-16 rounded-full bg-stone-200 dark:bg-stone-700" />
                )}
                <input
                  id="avatar"
                  name="avatar"
                  type="file"
                  accept="image/png,image/jpeg,image/webp,image/gif"
                  aria-invalid={errors.avatar ? true : undefined}
                  aria-describedby={errors.avatar ? "avatar-error avatar-hint" : "avatar-hint"}
                  onChange={(e) => chooseAvatar(e.target.files?.[0] ?? null)}
                  className="min-w-0 flex-1 text-sm file:mr-3 file:min-h-11 file:rounded-lg file:border-0 file:bg-stone-200 file:px-3 file:font-medium dark:file:bg-stone-700 dark:file:text-stone-100"
                />
              </div>
              <p id="avatar-hint" className="mt-1 text-sm text-stone-600 dark:text-stone-400">
                PNG, JPEG, WebP or GIF, up to 2 MB.
              </p>
              {errors.avatar && (
                <p id="avatar-error" className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
                  {errors.avatar}
                </p>
              )}
            </div>
          </>
        )}

        <div className="flex flex-col-reverse gap-3 pt-2 sm:flex-row sm:justify-between">
          {step > 0 ? (
            <Button
              type="button"
              variant="secondary"
              onClick={() => {
                setErrors({});
                setStep(step - 1);
              }}
              disabled={busy}
            >
              Back
            </Button>
          ) : (
            <span />
          )}
          <Button type="submit" busy={busy}>
            {step === 3 ? "Finish setup" : "Continue"}
          </Button>
        </div>
      </form>
    </div>
  );
}

function StepHeading({ children, ref }: { children: React.ReactNode; ref: React.Ref<HTMLHeadingElement> }) {
  return (
    <h2 ref={ref} tabIndex={-1} className="text-xl font-semibold outline-none">
      {children}
    </h2>
  );
}
