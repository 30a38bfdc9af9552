/** The wordmark: two halves of a circle — your half of the conversation. */
export function Brand({ className = "", wordmarkClassName = "" }: { className?: string; wordmarkClassName?: string }) {
  return (
    <span className={`inline-flex items-center gap-2 font-semibold tracking-tight ${className}`}>
      <svg aria-hidden viewBox="0 0 24 24" className="size-6">
        <path d="M12 2a10 10 0 0 0 0 20z" className="fill-accent-600" />
        <path d="M12 2a10 10 0 0 1 0 20z" className="fill-stone-300 dark:fill-stone-600" />
      </svg>
      <span className={wordmarkClassName}>Moiety</span>
    </span>
  );
}
