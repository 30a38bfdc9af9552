import { env } from "../env";

// host-meta (RFC 6415): older software finds WebFinger through it. Fedify does not serve it.

export function hostMeta(): Response {
  const template = `${env().origin}/.well-known/webfinger?resource={uri}`;
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n' +
    `  <Link rel="lrdd" template="${template.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"/>\n` +
    "</XRD>\n";
  return new Response(xml, {
    headers: { "content-type": "application/xrd+xml; charset=utf-8", "access-control-allow-origin": "*" },
  });
}
