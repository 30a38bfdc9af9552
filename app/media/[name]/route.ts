import { serveOwnerMedia } from "@/lib/domain/media";

export const dynamic = "force-dynamic";

export async function GET(_req: Request, ctx: { params: Promise<{ name: string }> }) {
  const { name } = await ctx.params;
  return serveOwnerMedia(name);
}
