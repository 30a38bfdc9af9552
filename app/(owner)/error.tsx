"use client";

/** An owner page failed to render: say so, keep the navigation, offer a retry. */
export default function OwnerError({ reset }: { error: Error; reset: () => void }) {
  return (
    <div role="alert" className="mx-auto max-w-xl px-4 py-10 text-center">
      <h1 className="text-xl font-semibold">This page could not be shown</h1>
      <p className="mt-2 text-stone-600 dark:text-stone-400">
        Something went wrong on the server. Nothing you wrote was lost. Try again in a moment; if it keeps happening, the
        server log says why.
      </p>
      <button type="button" onClick={reset} className="mt-5 min-h-11 rounded-lg bg-accent-600 px-4 font-medium text-white hover:bg-accent-700">
        Try again
      </button>
    </div>
  );
}
