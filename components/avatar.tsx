// Plain components without server-only imports: server pages and the client
// conversation rows (components/conversation-row.tsx) both use them.

export type AvatarData = { src: string | null; name: string };

/** A picture, or the name's initial on a coloured disc. */
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

/** One avatar, or the first two stacked for a group. */
export function AvatarGroup({ avatars, size = 44 }: { avatars: AvatarData[]; size?: number }) {
  if (avatars.length <= 1) return avatars[0] ? <Avatar src={avatars[0].src} name={avatars[0].name} size={size} /> : null;
  const small = Math.round(size * 0.7);
  return (
    <span className="relative inline-block shrink-0" style={{ width: size, height: size }}>
      <span className="absolute left-0 top-0">
        <Avatar src={avatars[0].src} name={avatars[0].name} size={small} />
      </span>
      <span className="absolute bottom-0 right-0 rounded-full ring-2 ring-white dark:ring-stone-900">
        <Avatar src={avatars[1].src} name={avatars[1].name} size={small} />
      </span>
    </span>
  );
}
