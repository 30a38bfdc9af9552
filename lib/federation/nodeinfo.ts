import { env } from "../env";
import { SOFTWARE_VERSION } from "./version";

// NodeInfo 2.0 beside Fedify's 2.1: some crawlers and older servers only read 2.0.

const json = (body: unknown) =>
  new Response(JSON.stringify(body), {
    headers: { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*" },
  });

export function nodeInfoLinks(): Response {
  const o = env().origin;
  return json({
    links: [
      { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${o}/nodeinfo/2.0` },
      { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: `${o}/nodeinfo/2.1` },
    ],
  });
}

export function nodeInfo20(): Response {
  return json({
    version: "2.0",
    software: { name: "moiety", version: SOFTWARE_VERSION },
    protocols: ["activitypub"],
    services: { inbound: [], outbound: [] },
    openRegistrations: false,
    // One user; every post here is a DM, and DMs are never counted.
    usage: { users: { total: 1, activeMonth: 1, activeHalfyear: 1 }, localPosts: 0 },
    metadata: {},
  });
}
