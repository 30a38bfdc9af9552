import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Brand } from "@/components/brand";
import { currentOwner } from "@/lib/auth";
import { ownerExists } from "@/lib/domain/owner";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Log in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ setup?: string }> }) {
  if (!(await ownerExists())) redirect("/setup");
  if (await currentOwner()) redirect("/messages");
  const { setup } = await searchParams;
  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-sm flex-col justify-center px-4 py-10">
      <Brand className="mb-6 text-lg" />
      <h1 className="mb-6 text-2xl font-semibold tracking-tight">Log in</h1>
      <LoginForm setupDone={setup === "done"} />
    </main>
  );
}
