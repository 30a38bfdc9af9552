// The front server (lib/server/front.ts) strips this header from every incoming
// request and sets it from the socket (or from a trusted proxy), so it cannot
// be forged by clients. Without the front, all requests share one bucket.
export const CLIENT_ADDRESS_HEADER = "x-moiety-client-address";

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined;

export function clientAddressFrom(headers: HeaderSource): string {
  let value: string | string[] | null | undefined;
  if (headers instanceof Headers) value = headers.get(CLIENT_ADDRESS_HEADER);
  else if (headers) value = headers[CLIENT_ADDRESS_HEADER];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || "unknown";
}
