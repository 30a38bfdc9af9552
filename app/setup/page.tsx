import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Brand } from "@/components/brand";
import { env } from "@/lib/env";
import { ownerExists } from "@/lib/domain/owner";
import { describePublicAddress } from "@/lib/domain/public-address";
import { SetupWizard } from "./setup-wizard";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set up" };

export default async function SetupPage({ searchParams }: { searchParams: Promise<{ code?: string | string[] }> }) {
  if (await ownerExists()) redirect("/login");
  const { code } = await searchParams;
  const address = describePublicAddress(env().origin);
  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-xl flex-col px-4 py-8 sm:py-12">
      <header className="mb-6">
        <Brand className="text-lg" />
        <h1 className="mt-4 text-2xl font-semibold tracking-tight">Set up your Moiety</h1>
        <p className="mt-1 text-stone-600 dark:text-stone-400">
          A few steps, and you have your own address for direct messages on the fediverse.
        </p>
      </header>
      <SetupWizard
        initialCode={typeof code === "string" ? code : ""}
        host={address.host}
        origin={address.origin}
        warnings={address.warnings.map((w) => w.message)}
      />
    </main>
  );
}
