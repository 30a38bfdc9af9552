/** "5 min", "Tue 14:02", "3 Mar" — short, with the exact time for the tooltip and for machines. */
export function relativeTime(date: Date, now = new Date()): { text: string; iso: string; title: string } {
  const diff = now.getTime() - date.getTime();
  let text: string;
  if (diff < 60_000) text = "now";
  else if (diff < 3_600_000) text = `${Math.floor(diff / 60_000)} min`;
  else if (diff < 86_400_000 && now.getDate() === date.getDate()) text = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  else if (diff < 6 * 86_400_000) text = date.toLocaleDateString("en-GB", { weekday: "short" });
  else if (date.getFullYear() === now.getFullYear()) text = date.toLocaleDateString("en-GB", { day: "numeric", month: "short" });
  else text = date.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });
  return { text, iso: date.toISOString(), title: date.toUTCString() };
}

/** The same as a <time> element, for server components. */
export function RelativeTime({ date, now = new Date() }: { date: Date; now?: Date }) {
  const t = relativeTime(date, now);
  return (
    <time dateTime={t.iso} title={t.title}>
      {t.text}
    </time>
  );
}
