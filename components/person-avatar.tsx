import { Avatar, AvatarGroup, type AvatarData } from "./avatar";
import type { Person } from "@/lib/domain/people";
import { proxiedMediaUrl } from "@/lib/domain/media-proxy-url";

/** What an avatar of a remote person shows: their picture through our media proxy (their server never sees the owner's address). */
export function personAvatar(person: Person): AvatarData {
  return { src: person.iconUrl ? proxiedMediaUrl(person.iconUrl) : null, name: person.name };
}

export function PersonAvatar({ person, size = 40 }: { person: Person; size?: number }) {
  const a = personAvatar(person);
  return <Avatar src={a.src} name={a.name} size={size} />;
}

/** Stacked avatars for a group conversation. */
export function GroupAvatar({ people, size = 44 }: { people: Person[]; size?: number }) {
  return <AvatarGroup avatars={people.slice(0, 2).map(personAvatar)} size={size} />;
}
