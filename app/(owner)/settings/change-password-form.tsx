"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/button";
import { Field } from "@/components/field";
import { Notice } from "@/components/notice";
import { formErrors } from "@/lib/action-result";
import { changePasswordAction } from "./actions";

export function ChangePasswordForm({ username }: { username: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const input = {
      currentPassword: String(data.get("currentPassword") ?? ""),
      newPassword: String(data.get("newPassword") ?? ""),
      confirmPassword: String(data.get("confirmPassword") ?? ""),
    };
    setBusy(true);
    setDone(false);
    setErrors({});
    try {
      const result = await changePasswordAction(input);
      if (!result.ok) {
        setErrors(formErrors(result));
        return;
      }
      // The change ended every session, this one too: sign in again with the new password.
      const login = await signIn("credentials", { username, password: input.newPassword, redirect: false });
      if (!login?.ok) {
        router.replace("/login");
        return;
      }
      form.reset();
      setDone(true);
      router.refresh();
    } catch {
      setErrors({ form: "Could not reach the server. Nothing was changed." });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="max-w-md space-y-4" noValidate>
      {done && <Notice tone="success">Password changed. Other browsers have been logged out.</Notice>}
      {errors.form && <Notice tone="error">{errors.form}</Notice>}
      <Field label="Current password" name="currentPassword" type="password" autoComplete="current-password" error={errors.currentPassword} />
      <Field
        label="New password"
        name="newPassword"
        type="password"
        autoComplete="new-password"
        hint="At least 12 characters."
        error={errors.newPassword}
      />
      <Field label="Repeat the new password" name="confirmPassword" type="password" autoComplete="new-password" error={errors.confirmPassword} />
      <Button type="submit" busy={busy}>
        Change password
      </Button>
    </form>
  );
}
