"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/button";
import { Field } from "@/components/field";
import { Notice } from "@/components/notice";

export function LoginForm({ setupDone, next = "/messages" }: { setupDone: boolean; next?: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const result = await signIn("credentials", {
        username: String(data.get("username") ?? ""),
        password: String(data.get("password") ?? ""),
        redirect: false,
      });
      if (result?.ok && !result.error) {
        router.replace(next);
        router.refresh();
        return;
      }
      setError(result?.error && result.error !== "CredentialsSignin" ? result.error : "Wrong username or password.");
    } catch {
      setError("Could not reach the server. Try again.");
    }
    setBusy(false);
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      {setupDone && <Notice tone="success">Setup is complete. Log in with your new account.</Notice>}
      {error && <Notice tone="error">{error}</Notice>}
      <Field label="Username" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required />
      <Button type="submit" busy={busy} className="w-full">
        Log in
      </Button>
    </form>
  );
}
