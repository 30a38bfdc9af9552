/** Marks the row of a list (sessions, notification devices, encryption devices) that is the browser looking at it. */
export function HereBadge({ label }: { label: string }) {
  return <span className="ml-2 rounded-full bg-accent-50 px-2 py-0.5 text-xs font-semibold text-accent-700 dark:bg-stone-800 dark:text-accent-300">{label}</span>;
}
