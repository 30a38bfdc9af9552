import { Readable } from "node:stream";
import { currentOwner } from "@/lib/auth";
import { exportArchive, exportArchiveName, exportFiles } from "@/lib/domain/export";

export const dynamic = "force-dynamic";

// GET /settings/export: the owner's DMs as a .tar.gz download, the same files
// `moiety export DIR` writes (conversations.json, index.html, one page per
// conversation, the owner's attachments), inside one folder.

export async function GET() {
  if (!(await currentOwner())) {
    return Response.json({ error: "Not logged in." }, { status: 401, headers: { "cache-control": "no-store" } });
  }
  const { files } = await exportFiles();
  const folder = exportArchiveName();
  const body = Readable.toWeb(exportArchive(files, folder)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": "application/gzip",
      "content-disposition": `attachment; filename="${folder}.tar.gz"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
