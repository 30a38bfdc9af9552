/**
 * A response's body, read chunk by chunk and abandoned (the connection closed) as soon as it
 * passes `maxBytes`: a declared Content-Length can be absent (chunked) or false, so only counting
 * while reading bounds the memory. null when the body is larger than `maxBytes`.
 */
export async function readCapped(response: Response, maxBytes: number): Promise<Buffer | null> {
  if (Number(response.headers.get("content-length") ?? "0") > maxBytes) {
    await response.body?.cancel();
    return null;
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
