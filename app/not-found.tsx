import Link from "next/link";
import { Brand } from "@/components/brand";

export default function NotFound() {
  return (
    <main className="mx-auto flex min-h-dvh max-w-md flex-col items-center justify-center px-4 text-center">
      <Brand className="text-lg" />
      <h1 className="mt-6 text-2xl font-semibold">Not found</h1>
      <p className="mt-2 text-stone-600 dark:text-stone-400">There is nothing at this address.</p>
      <Link href="/messages" className="mt-6 underline">
        Go to your messages
      </Link>
    </main>
  );
}
