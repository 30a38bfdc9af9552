/** Shown while an owner page renders on the server. */
export default function Loading() {
  return (
    <div role="status" className="flex h-full items-center justify-center p-10 text-stone-600 dark:text-stone-400">
      <span aria-hidden className="mr-3 size-5 animate-spin rounded-full border-2 border-current border-t-transparent" />
      Loading…
    </div>
  );
}
