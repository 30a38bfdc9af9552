import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { db } from "../db";
import { env, mediaDir } from "../env";
import { isMediaName } from "./avatar";
import { messageRecord } from "./conversations";
import {
  conversationPath,
  renderConversation,
  renderIndex,
  type ExportAttachment,
  type ExportData,
  type ExportPerson,
} from "./export-html";
import { handleFor } from "./public-address";
import { tarStream, type TarEntry } from "./tar";

// The owner's DMs in a form they can keep and read without Moiety:
// conversations.json (everything, machine-readable), index.html plus one page
// per conversation (readable offline), and media/ with the images the owner
// attached. The CLI writes these files into a directory; the settings page
// offers the same files as one .tar.gz download.

export class ExportError extends Error {}

/** One file of an export: bytes in memory, or a file on disk to copy. */
export type ExportFile = { name: string; data: Buffer } | { name: string; path: string };

export type ExportSummary = { conversations: number; messages: number; attachmentFiles: number };

type StoredAttachment = { url?: unknown; mediaType?: unknown; alt?: unknown };

function parseAttachments(json: string): StoredAttachment[] {
  try {
    const list = JSON.parse(json);
    return Array.isArray(list) ? list.filter((a) => a && typeof a === "object" && typeof a.url === "string") : [];
  } catch {
    return [];
  }
}

/** The media file an attachment URL of ours points at (…/media/att-….png), if it is one and exists. */
function ownMediaFile(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const m = /^\/media\/([^/]+)$/.exec(u.pathname);
  if (!m || !isMediaName(m[1])) return null;
  return fs.existsSync(path.join(mediaDir(), m[1])) ? m[1] : null;
}

/** Everything the export holds, read in one go from the database. */
export async function collectExport(): Promise<{ data: ExportData; media: string[] }> {
  const e = env();
  const owner = await db().owner.findUnique({ where: { id: 1 } });
  if (!owner) throw new ExportError("This instance has no owner yet; there is nothing to export.");
  const conversations = await db().conversation.findMany({
    orderBy: { lastMessageAt: "desc" },
    include: { participants: true, messages: { orderBy: { published: "asc" } } },
  });
  const actorIds = [...new Set(conversations.flatMap((c) => [...c.participants.map((p) => p.actorId), ...c.messages.map((m) => m.authorId)]))];
  const actors = new Map((await db().remoteActor.findMany({ where: { id: { in: actorIds } } })).map((a) => [a.id, a]));
  const person = (actor: string): ExportPerson => ({ handle: actors.get(actor)?.handle ?? null, actor, name: actors.get(actor)?.name ?? null });

  const media = new Set<string>();
  const data: ExportData = {
    format: "moiety-export",
    version: 1,
    exportedAt: new Date().toISOString(),
    owner: { handle: handleFor(owner.username, e.origin), actor: `${e.origin}/users/${owner.username}`, name: owner.displayName },
    conversations: conversations.map((c) => ({
      id: c.id,
      participants: c.participants.map((p) => person(p.actorId)),
      lastMessageAt: c.lastMessageAt.toISOString(),
      isRequest: c.isRequest,
      archived: c.archived,
      messages: c.messages.map((m) => ({
        ...messageRecord(m),
        summary: m.summary,
        sensitive: m.summary !== null || m.sensitive,
        attachments: parseAttachments(m.attachments).map((a): ExportAttachment => {
          const url = a.url as string;
          const own = m.direction === "out" ? ownMediaFile(url) : null;
          if (own) media.add(own);
          return {
            url,
            mediaType: typeof a.mediaType === "string" ? a.mediaType : null,
            alt: typeof a.alt === "string" ? a.alt : null,
            file: own ? `media/${own}` : null,
          };
        }),
      })),
    })),
  };
  return { data, media: [...media].sort() };
}

/** The files of an export, in the order they are written. */
export async function exportFiles(): Promise<{ files: ExportFile[]; summary: ExportSummary }> {
  const { data, media } = await collectExport();
  const files: ExportFile[] = [
    { name: "conversations.json", data: Buffer.from(JSON.stringify(data, null, 2) + "\n") },
    { name: "index.html", data: Buffer.from(renderIndex(data)) },
    ...data.conversations.map((c) => ({ name: conversationPath(c.id), data: Buffer.from(renderConversation(data, c)) })),
    ...media.map((name) => ({ name: `media/${name}`, path: path.join(mediaDir(), name) })),
  ];
  return {
    files,
    summary: {
      conversations: data.conversations.length,
      messages: data.conversations.reduce((n, c) => n + c.messages.length, 0),
      attachmentFiles: media.length,
    },
  };
}

/** Write the export into `dir`, which must not exist or be empty. Owner-only permissions: these are private messages. */
export async function writeExport(dir: string): Promise<ExportSummary> {
  const target = path.resolve(dir);
  if (fs.existsSync(target)) {
    if (!fs.statSync(target).isDirectory()) throw new ExportError(`${dir} exists and is not a directory.`);
    if (fs.readdirSync(target).length > 0) throw new ExportError(`${dir} is not empty; choose a new or empty directory.`);
  }
  const { files, summary } = await exportFiles();
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  for (const f of files) {
    const out = path.join(target, ...f.name.split("/"));
    fs.mkdirSync(path.dirname(out), { recursive: true, mode: 0o700 });
    if ("data" in f) fs.writeFileSync(out, f.data, { mode: 0o600 });
    else {
      fs.copyFileSync(f.path, out);
      fs.chmodSync(out, 0o600);
    }
  }
  return summary;
}

/** The top folder inside the download, so unpacking it makes one directory. */
export function exportArchiveName(now = new Date()): string {
  return `moiety-export-${now.toISOString().slice(0, 10)}`;
}

/** The export as a .tar.gz stream (for the settings download). */
export function exportArchive(files: ExportFile[], folder: string): Readable {
  const dirs = new Set<string>([folder]);
  for (const f of files) {
    const parts = f.name.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(`${folder}/${parts.slice(0, i).join("/")}`);
  }
  const entries: TarEntry[] = [
    // Private messages: owner-only modes when unpacked (the tar writer's defaults, 0600 and 0700).
    ...[...dirs].sort().map((name): TarEntry => ({ name, type: "dir" })),
    ...files.map((f): TarEntry => ("data" in f ? { name: `${folder}/${f.name}`, type: "file", data: f.data } : { name: `${folder}/${f.name}`, type: "file", path: f.path })),
  ];
  const gzip = createGzip();
  pipeline(Readable.from(tarStream(entries)), gzip).catch((err) => {
    // A download the browser cancelled is not worth a log line.
    if ((err as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") console.error("export: the archive could not be written:", err);
  });
  return gzip;
}
