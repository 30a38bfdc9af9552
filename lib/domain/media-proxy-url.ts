import { env } from "../env";

/**
 * Where the browser loads an image from: our own media as it is, anything
 * remote through the same-origin proxy (app/media/proxy/route.ts), so other
 * servers never see the owner's address.
 */
export function proxiedMediaUrl(url: string): string {
  const origin = env().origin;
  if (url.startsWith(origin + "/media/")) return url.slice(origin.length);
  return `/media/proxy?url=${encodeURIComponent(url)}`;
}
