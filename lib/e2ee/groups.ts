// Group states at rest and the facts read from them: a state is stored as
// ts-mls's encoding (the client config, which holds functions, is attached
// again on load, for the group's own actors), and its members are read from
// the ratchet tree.
import { bytesToBase64 } from "@/lib/activitypub/base64";
import { decodeGroupState, encodeGroupState, type ClientState } from "ts-mls";
import { fingerprint, fromBase64 } from "./device";
import { R, type GroupMeta } from "./records";
import { clientConfigFor, identityOf } from "./suite";
import type { Batch, Vault } from "./vault";

export type LoadedGroup = { meta: GroupMeta; state: ClientState };

/** The actors allowed in a group: its participants and the owner. */
export const actorsOf = (meta: GroupMeta, owner: string) => [...meta.participants, owner];

export async function loadGroup(vault: Vault, groupHex: string, owner: string): Promise<LoadedGroup | null> {
  const meta = await vault.get<GroupMeta>(R.group(groupHex));
  const stored = await vault.get<{ state: string }>(R.groupState(groupHex));
  if (!meta || !stored) return null;
  const decoded = decodeGroupState(fromBase64(stored.state), 0)?.[0];
  if (!decoded) throw new Error("A stored group state could not be read back.");
  return { meta, state: { ...decoded, clientConfig: clientConfigFor(actorsOf(meta, owner)) } };
}

export function saveGroup(batch: Batch, meta: GroupMeta, state: ClientState): void {
  batch.put(R.group(meta.groupHex), meta);
  batch.put(R.groupState(meta.groupHex), { state: bytesToBase64(encodeGroupState(state)) });
  batch.put(R.peers(meta.participants), { groupHex: meta.groupHex });
  if (meta.conversationId) batch.put(R.conversation(meta.conversationId), { groupHex: meta.groupHex });
}

export type Member = { actor: string; signatureKey: string };

/** Every leaf of the tree: its credential's actor and its signature key. */
export function membersOf(state: ClientState): Member[] {
  const out: Member[] = [];
  for (const node of state.ratchetTree) {
    if (node?.nodeType !== "leaf") continue;
    out.push({ actor: identityOf(node.leaf.credential) ?? "", signatureKey: bytesToBase64(node.leaf.signaturePublicKey) });
  }
  return out;
}

/** Actor → sorted device fingerprints, actors sorted. */
export async function fingerprintsByActor(state: ClientState): Promise<{ actor: string; fingerprints: string[] }[]> {
  const by = new Map<string, string[]>();
  for (const m of membersOf(state)) {
    const list = by.get(m.actor) ?? [];
    list.push(await fingerprint(fromBase64(m.signatureKey)));
    by.set(m.actor, list);
  }
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([actor, fps]) => ({ actor, fingerprints: fps.sort() }));
}

/** The acknowledged-keys record for a new group: what the peers have now. */
export async function initialAcks(state: ClientState, owner: string): Promise<Record<string, string[]>> {
  const acked: Record<string, string[]> = {};
  for (const { actor, fingerprints } of await fingerprintsByActor(state)) if (actor !== owner) acked[actor] = fingerprints;
  return acked;
}
