import type { Metadata } from "next";
import { Brand } from "@/components/brand";
import { requireOwner } from "@/lib/auth";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Authorization code" };

/** For apps registered with urn:ietf:wg:oauth:2.0:oob: the owner copies the code into the app. */
export default async function NativeCodePage({ searchParams }: { searchParams: Promise<{ code?: string }> }) {
  await requireOwner();
  const { code } = await searchParams;
  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-lg flex-col justify-center px-4 py-10">
      <Brand className="mb-6 text-lg" />
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">Authorization code</h1>
      <p className="mb-3">Copy this code and paste it into the app:</p>
      <output className="block break-all rounded-lg border border-stone-300 p-3 font-mono select-all dark:border-stone-700" aria-label="Authorization code">
        {typeof code === "string" ? code : ""}
      </output>
    </main>
  );
}
