// What the owner's browser (lib/e2ee, the MLS client) and the owner's server
// (the server actions in app/(owner)/e2ee-actions.ts) exchange. Types only, no
// imports: both sides build on them. docs/E2EE.md says what each call means.

/** The MLS envelopes that travel to inboxes (a KeyPackage is published instead). */
export type EnvelopeKind = "Welcome" | "PrivateMessage" | "PublicMessage" | "GroupInfo";

/** One MLS envelope in the owner's ordered stream: everything sent or received, oldest first. */
export type StreamEnvelope = {
  /** Position in the stream; strictly increasing. */
  seq: number;
  /** The AS2 object's id (ours: /users/<name>/mls/<id>; theirs: their URL). */
  objectId: string;
  kind: EnvelopeKind;
  direction: "in" | "out";
  /** The author's actor URL (the owner's for "out"). */
  actorId: string;
  /** For "out": the owner's device that sent it (that device already applied it). */
  senderDevice: string | null;
  /** The Moiety conversation it belongs to. */
  conversationId: string;
  /** Every participant's actor URL except the owner's, sorted. */
  participants: string[];
  /** The Message row shown in the thread, for a PrivateMessage sent or received as a new message. */
  messageId: string | null;
  /** The MLSMessage, canonical base64. */
  content: string;
  /** ISO time the server stored it. */
  published: string;
};

export type KeyPackageItem = { id: string; content: string };

export type PeerKeyPackages =
  | { actor: string; supported: true; keyPackages: KeyPackageItem[] }
  | { actor: string; supported: false; reason: string };

export type DeviceInfo = {
  id: string;
  name: string;
  /** Ed25519 public key, canonical base64. */
  signatureKey: string;
  createdAt: string;
  lastSeenAt: string;
  keyPackages: number;
};

export type OutgoingEnvelope = { kind: EnvelopeKind; content: string; visible: boolean };

/** The calls a device makes to its own server; each may reject with an Error whose message is plain words. */
export interface E2eeTransport {
  registerDevice(input: { name: string; signatureKey: string; keyPackages: string[] }): Promise<{ deviceId: string; keyPackageIds: string[] }>;
  deviceStatus(input: { deviceId: string }): Promise<{ exists: boolean; keyPackages: number }>;
  publishKeyPackages(input: { deviceId: string; keyPackages: string[] }): Promise<{ keyPackageIds: string[]; total: number }>;
  removeKeyPackage(input: { deviceId: string; keyPackageId: string }): Promise<{ total: number }>;
  keyPackagesOf(input: { deviceId: string; actors: string[] }): Promise<PeerKeyPackages[]>;
  sendEnvelopes(input: { deviceId: string; recipients: string[]; envelopes: OutgoingEnvelope[] }): Promise<{ conversationId: string; objectIds: string[]; messageIds: (string | null)[] }>;
  envelopeStream(input: { after: number; limit?: number }): Promise<{ envelopes: StreamEnvelope[]; last: number }>;
  hideEnvelopeMessage(input: { messageId: string }): Promise<Record<string, never>>;
}
