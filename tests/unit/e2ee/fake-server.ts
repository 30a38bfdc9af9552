// An in-memory stand-in for the owners' Moiety servers, implementing
// E2eeTransport as docs/E2EE.md describes it, for the engine's tests: devices
// and their KeyPackages, one ordered stream per owner shared by that owner's
// devices, delivery of each send to every recipient owner's stream as "in",
// conversations keyed by participant sets, hidden messages. The real server is
// tested with its own code.
import type { E2eeTransport, KeyPackageItem, OutgoingEnvelope, PeerKeyPackages, StreamEnvelope } from "@/lib/e2ee/transport-types";

type Device = { id: string; name: string; signatureKey: string; keyPackages: KeyPackageItem[] };
type Owner = { devices: Map<string, Device>; stream: StreamEnvelope[]; conversations: Map<string, string>; hidden: Set<string>; messages: number };

let counter = 0;
const nextId = (prefix: string) => `${prefix}${++counter}`;

export class FakeServer {
  readonly owners = new Map<string, Owner>();
  /** Test hook: what one send delivers to one recipient's stream (reorder, tamper, drop). */
  deliverIn: (recipient: string, envelopes: StreamEnvelope[]) => StreamEnvelope[] = (_, e) => e;

  owner(actor: string): Owner {
    let owner = this.owners.get(actor);
    if (!owner) {
      owner = { devices: new Map(), stream: [], conversations: new Map(), hidden: new Set(), messages: 0 };
      this.owners.set(actor, owner);
    }
    return owner;
  }

  private conversation(owner: Owner, participants: string[]): string {
    const key = JSON.stringify(participants);
    let id = owner.conversations.get(key);
    if (!id) owner.conversations.set(key, (id = nextId("conv-")));
    return id;
  }

  private append(owner: Owner, envelope: Omit<StreamEnvelope, "seq">): StreamEnvelope {
    const full = { ...envelope, seq: (owner.stream.at(-1)?.seq ?? 0) + 1 };
    owner.stream.push(full);
    return full;
  }

  private device(actor: string, deviceId: string): Device {
    const device = this.owner(actor).devices.get(deviceId);
    if (!device) throw new Error("This device is not registered.");
    return device;
  }

  removeDevice(actor: string, deviceId: string): void {
    this.owner(actor).devices.delete(deviceId);
  }

  transportFor(actor: string): E2eeTransport {
    const owner = this.owner(actor);
    const publish = (device: Device, contents: string[]) =>
      contents.map((content) => {
        // As the real server (lib/domain/mls-devices.ts): the same KeyPackage again keeps its id.
        const known = device.keyPackages.find((k) => k.content === content);
        if (known) return known.id;
        const id = nextId("kp-");
        device.keyPackages.push({ id, content });
        return id;
      });
    return {
      registerDevice: async ({ name, signatureKey, keyPackages }) => {
        // The same key again is the same browser retrying, as on the real server.
        const device: Device = [...owner.devices.values()].find((d) => d.signatureKey === signatureKey) ?? { id: nextId("dev-"), name, signatureKey, keyPackages: [] };
        owner.devices.set(device.id, device);
        return { deviceId: device.id, keyPackageIds: publish(device, keyPackages) };
      },
      deviceStatus: async ({ deviceId }) => {
        const device = owner.devices.get(deviceId);
        return { exists: !!device, keyPackages: device?.keyPackages.length ?? 0 };
      },
      publishKeyPackages: async ({ deviceId, keyPackages }) => {
        const device = this.device(actor, deviceId);
        return { keyPackageIds: publish(device, keyPackages), total: device.keyPackages.length };
      },
      removeKeyPackage: async ({ deviceId, keyPackageId }) => {
        const device = this.device(actor, deviceId);
        device.keyPackages = device.keyPackages.filter((k) => k.id !== keyPackageId);
        return { total: device.keyPackages.length };
      },
      keyPackagesOf: async ({ deviceId, actors }) => {
        this.device(actor, deviceId);
        return actors.map((peer): PeerKeyPackages => {
          if (peer === actor) {
            const others = [...owner.devices.values()].filter((d) => d.id !== deviceId);
            return { actor: peer, supported: true, keyPackages: others.flatMap((d) => d.keyPackages) };
          }
          const other = this.owners.get(peer);
          if (!other || other.devices.size === 0) return { actor: peer, supported: false, reason: "This actor has no device set up for encrypted messages." };
          return { actor: peer, supported: true, keyPackages: [...other.devices.values()].flatMap((d) => d.keyPackages) };
        });
      },
      sendEnvelopes: async ({ deviceId, recipients, envelopes }) => {
        this.device(actor, deviceId);
        const participants = [...new Set(recipients)].sort();
        const conversationId = this.conversation(owner, participants);
        const made = (e: OutgoingEnvelope) => (e.visible ? nextId("msg-") : null);
        const out = envelopes.map((e) =>
          this.append(owner, {
            objectId: `${actor}/mls/${nextId("")}`,
            kind: e.kind,
            direction: "out",
            actorId: actor,
            senderDevice: deviceId,
            conversationId,
            participants,
            messageId: made(e),
            content: e.content,
            published: new Date().toISOString(),
          }),
        );
        for (const recipient of participants) {
          const theirs = this.owners.get(recipient);
          if (!theirs) continue;
          const theirParticipants = [...new Set([...participants, actor])].filter((p) => p !== recipient).sort();
          const theirConversation = this.conversation(theirs, theirParticipants);
          const incoming = out.map((o, i) => ({
            ...o,
            seq: 0,
            direction: "in" as const,
            senderDevice: null,
            conversationId: theirConversation,
            participants: theirParticipants,
            messageId: made(envelopes[i]),
          }));
          for (const envelope of this.deliverIn(recipient, incoming)) this.append(theirs, envelope);
        }
        return { conversationId, objectIds: out.map((o) => o.objectId), messageIds: out.map((o) => o.messageId) };
      },
      envelopeStream: async ({ after, limit = 100 }) => {
        const envelopes = owner.stream.filter((e) => e.seq > after).slice(0, limit);
        return { envelopes: structuredClone(envelopes), last: envelopes.at(-1)?.seq ?? after };
      },
      hideEnvelopeMessage: async ({ messageId }) => {
        owner.hidden.add(messageId);
        return {};
      },
    };
  }
}
