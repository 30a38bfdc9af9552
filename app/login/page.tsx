import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Brand } from "@/components/brand";
import { currentOwner } from "@/lib/auth";
import { ownerExists } from "@/lib/domain/owner";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Log in" };

/** Where to go after logging in: only back to an app's authorization request, never off-site. */
function nextPath(next: string | undefined): string {
  return typeof next === "string" && next.startsWith("/oauth/authorize?") ? next : "/messages";
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ setup?: string; next?: string }> }) {
  const { setup, next } = await searchParams;
  if (!(await ownerExists())) redirect("/setup");
  if (await currentOwner()) redirect(nextPath(next));
  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-sm flex-col justify-center px-4 py-10">
      <Brand className="mb-6 text-lg" />
      <h1 className="mb-6 text-2xl font-semibold tracking-tight">Log in</h1>
      <LoginForm setupDone={setup === "done"} next={nextPath(next)} />
    </main>
  );
}
