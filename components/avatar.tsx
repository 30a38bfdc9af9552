/** The owner's avatar, or their initial on a coloured disc. */
export function Avatar({ src, name, size = 40 }: { src?: string | null; name: string; size?: number }) {
  const style = { width: size, height: size };
  if (src) {
    // eslint-disable-next-line @next/next/no-img-element -- our own media route, no optimiser needed
    return <img src={src} alt="" style={style} className="rounded-full object-cover" />;
  }
  return (
    <span
      aria-hidden
      style={{ ...style, fontSize: size * 0.45 }}
      className="inline-flex items-center justify-center rounded-full bg-accent-100 font-semibold text-accent-700 dark:bg-accent-700 dark:text-accent-50"
    >
      {name.trim().charAt(0).toUpperCase() || "?"}
    </span>
  );
}
