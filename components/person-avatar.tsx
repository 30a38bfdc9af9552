import { Avatar } from "./avatar";
import type { Person } from "@/lib/domain/inbox";
import { proxiedMediaUrl } from "@/lib/domain/media-proxy-url";

/** A remote person's avatar through our media proxy (their server never sees the owner's address). */
export function PersonAvatar({ person, size = 40 }: { person: Person; size?: number }) {
  return <Avatar src={person.iconUrl ? proxiedMediaUrl(person.iconUrl) : null} name={person.name} size={size} />;
}

/** Stacked avatars for a group conversation. */
export function GroupAvatar({ people, size = 44 }: { people: Person[]; size?: number }) {
  if (people.length <= 1) return people[0] ? <PersonAvatar person={people[0]} size={size} /> : null;
  const small = Math.round(size * 0.7);
  return (
    <span className="relative inline-block shrink-0" style={{ width: size, height: size }}>
      <span className="absolute left-0 top-0">
        <PersonAvatar person={people[0]} size={small} />
      </span>
      <span className="absolute bottom-0 right-0 rounded-full ring-2 ring-white dark:ring-stone-900">
        <PersonAvatar person={people[1]} size={small} />
      </span>
    </span>
  );
}
