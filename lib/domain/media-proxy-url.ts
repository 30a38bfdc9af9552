/** The same-origin URL through which a remote image is shown (app/media/proxy/route.ts). */
export function proxiedMediaUrl(remote: string): string {
  return `/media/proxy?url=${encodeURIComponent(remote)}`;
}
