// The names and shapes of the engine's sealed records (docs/E2EE.md, "Browser
// engine"), in one place so the sync and send code agree on them.
import type { EncryptedImage } from "./app-data";
import type { OutgoingEnvelope, StreamEnvelope } from "./transport-types";

export const R = {
  device: "device",
  /** A registration sent but not yet answered: its keys, so a retry is the same device (engine.ts). */
  registering: "registering",
  cursor: "cursor",
  keyPackage: (serverId: string) => `kp/${serverId}`,
  keyPackageRef: (refHex: string) => `kpref/${refHex}`,
  group: (groupHex: string) => `group/${groupHex}`,
  groupState: (groupHex: string) => `gstate/${groupHex}`,
  conversation: (conversationId: string) => `conv/${conversationId}`,
  peers: (participants: string[]) => `peers/${JSON.stringify([...participants].sort())}`,
  message: (messageId: string) => `msg/${messageId}`,
  note: (noteId: string) => `note/${noteId}`,
  outgoing: (localId: string) => `out/${localId}`,
  // Zero-padded so that listing the prefix gives stream order.
  pending: (seq: number) => `pending/${String(seq).padStart(16, "0")}`,
  toHide: (messageId: string) => `todo-hide/${messageId}`,
  toRemoveKeyPackage: (serverId: string) => `todo-kp/${serverId}`,
  /** Envelopes a saved group state depends on (a commit adding devices), until the server took them. */
  toSend: (localId: string) => `todo-send/${localId}`,
};

export type GroupMeta = {
  groupHex: string;
  conversationId: string | null;
  /** The conversation's participants except the owner, sorted. */
  participants: string[];
  /** This device made the group and so is its only committer (docs/E2EE.md, "Commits"). */
  creator: boolean;
  /** When this device last looked for new devices to add (ms). */
  lastDeviceCheck: number;
  /** Each peer's device fingerprints as last acknowledged. */
  acked: Record<string, string[]>;
  /** The epoch this device joined at (from a Welcome), as a decimal string; messages of earlier epochs were never meant for it. */
  joinedEpoch?: string;
};

export type MessageRecord =
  | {
      state: "ok";
      noteId: string;
      html: string;
      text: string;
      authorActor: string;
      conversationId: string;
      groupHex: string;
      inReplyTo: string | null;
      edited: boolean;
      deleted: boolean;
      /** Pictures carried in the message itself (absent in records written before they existed). */
      images?: EncryptedImage[];
      /** A content warning the text stays folded behind (absent in records written before they existed). */
      summary?: string | null;
    }
  | { state: "unreadable"; reason: string };

export type SendRecord = { recipients: string[]; envelopes: OutgoingEnvelope[] };

export type PendingRecord = { envelope: StreamEnvelope; groupHex: string | null; waited: number };

/** Later envelopes of the same group after which a waiting one is given up (docs/E2EE.md, "Ordering"). */
export const MAX_WAIT = 50;
