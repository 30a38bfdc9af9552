import { describe, expect, it } from "vitest";
import { extractDmContent } from "@/lib/activitypub/content";
import { loadFixture } from "./load-fixture";

describe("extractDmContent", () => {
  it("Mastodon DM: sanitised HTML, text, language from contentMap, mention", () => {
    const content = extractDmContent(loadFixture("mastodon-dm-create.json").object);
    expect(content.html).toContain('class="u-url mention"');
    expect(content.html).toContain('rel="nofollow noopener noreferrer"');
    expect(content.html).not.toContain("translate=");
    expect(content.text).toBe("@dave are we still on for Friday?");
    expect(content.language).toBe("en");
    expect(content.source).toBe("content");
    expect(content.contentWarning).toBeNull();
    expect(content.sensitive).toBe(false);
    expect(content.attachments).toEqual([]);
    expect(content.mentions).toEqual([{ href: "https://ours.example/users/dave", name: "@dave@ours.example" }]);
  });

  it("Mastodon 4.3 reply: content warning and attachments", () => {
    const content = extractDmContent(loadFixture("mastodon-4.3-dm-reply-with-media.json").object);
    expect(content.contentWarning).toBe("holiday photos");
    expect(content.sensitive).toBe(true);
    expect(content.language).toBeNull();
    expect(content.attachments).toEqual([
      {
        url: "https://files.mastodon43.example/media_attachments/files/1/original/beach.jpg",
        mediaType: "image/jpeg",
        kind: "image",
        alt: "A sandy beach at sunset",
        width: 1600,
        height: 1200,
        blurhash: "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
      },
      {
        url: "https://files.mastodon43.example/media_attachments/files/2/original/waves.mp4",
        mediaType: "video/mp4",
        kind: "video",
        alt: null,
        width: 1920,
        height: 1080,
        blurhash: null,
      },
    ]);
    expect(content.mentions.map((m) => m.href)).toEqual(["https://ours.example/users/dave", "https://gts.example/users/carol"]);
  });

  it("GoToSocial: scalar tag and attachment, empty summary is no warning", () => {
    const content = extractDmContent(loadFixture("gts-reply-scalar-to.json").object);
    expect(content.contentWarning).toBeNull();
    expect(content.sensitive).toBe(false);
    expect(content.text).toBe("@dave sure, here is the map");
    expect(content.mentions).toEqual([{ href: "https://ours.example/users/dave", name: "@dave@ours.example" }]);
    expect(content.attachments).toEqual([
      {
        url: "https://gts.example/fileserver/01ABC/attachment/original/01DEF.png",
        mediaType: "image/png",
        kind: "image",
        alt: "screenshot of the map",
        width: null,
        height: null,
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
      },
    ]);
  });

  it("Misskey: uses the HTML content when there is one, not the MFM source", () => {
    const content = extractDmContent(loadFixture("misskey-dm-create.json").object);
    expect(content.source).toBe("content");
    expect(content.text).toBe("@dave@ours.example the secret plan");
    expect(content.html).toContain("<b>secret</b>");
  });

  it("Misskey without content: _misskey_content becomes the text, shown escaped", () => {
    const { object } = loadFixture("misskey-dm-create.json");
    delete object.content;
    object._misskey_content = "the **secret** <plan>\n\nsecond";
    const content = extractDmContent(object);
    expect(content.source).toBe("source");
    expect(content.text).toBe("the **secret** <plan>\n\nsecond");
    expect(content.html).toBe("<p>the **secret** &lt;plan&gt;</p><p>second</p>");
  });

  it("falls back to source.content, but never to an HTML source", () => {
    const { object } = loadFixture("misskey-dm-create.json");
    delete object.content;
    delete object._misskey_content;
    expect(extractDmContent(object).text).toBe("@dave@ours.example the **secret** plan");
    object.source = { content: "<script>x</script>", mediaType: "text/html" };
    expect(extractDmContent(object)).toMatchObject({ html: "", text: "", source: "none" });
  });

  it("Pleroma ChatMessage: sanitises scripts away and reads a Link-list url", () => {
    const content = extractDmContent(loadFixture("pleroma-chatmessage-create.json").object);
    expect(content.html).toBe("hi dave  <b>look</b>");
    expect(content.text).toBe("hi dave look");
    expect(content.attachments).toEqual([
      { url: "https://pleroma.example/media/5b3c.png", mediaType: "image/png", kind: "image", alt: "a sleepy cat", width: null, height: null, blurhash: null },
    ]);
  });

  it("uses contentMap when content is missing, in the preferred language", () => {
    const note = { type: "Note", contentMap: { en: "<p>hello</p>", "de-AT": "<p>servus</p>", fr: "" } };
    expect(extractDmContent(note)).toMatchObject({ text: "hello", language: "en", source: "contentMap" });
    expect(extractDmContent(note, { preferredLanguages: ["de"] })).toMatchObject({ text: "servus", language: "de-AT" });
    expect(extractDmContent(note, { preferredLanguages: ["fr", "EN"] })).toMatchObject({ text: "hello", language: "en" });
  });

  it("sanitises contentMap HTML too", () => {
    expect(extractDmContent({ contentMap: { en: '<img src=x onerror=alert(1)><p onclick="x">hi</p>' } }).html).toBe("<p>hi</p>");
  });

  it("reads an HTML summary as plain text", () => {
    expect(extractDmContent({ content: "x", summary: "<p>spoilers &amp; more</p>" }).contentWarning).toBe("spoilers & more");
  });

  it("keeps sensitive without a warning", () => {
    expect(extractDmContent({ content: "x", sensitive: true })).toMatchObject({ sensitive: true, contentWarning: null });
  });

  it("skips attachments without a usable http(s) URL and guesses kinds", () => {
    const content = extractDmContent({
      content: "x",
      attachment: [
        { type: "Document", mediaType: "image/png", url: "javascript:alert(1)" },
        { type: "Document", url: "data:image/png;base64,AAAA" },
        { type: "Document" },
        { type: "PropertyValue", name: "x", value: "y" },
        "https://a.example/loose-string.png",
        { type: "Audio", url: { type: "Link", href: "https://a.example/a.ogg" } },
        { type: "Document", mediaType: "application/pdf", url: "https://a.example/f.pdf", name: "  ", width: -3, height: 2.5 },
        { type: "Link", href: "https://a.example/v.webm", mediaType: "video/webm" },
        {
          type: "Video",
          url: [
            { type: "Link", href: "magnet:?xt=1", mediaType: "application/x-bittorrent" },
            { type: "Link", href: "https://a.example/v.mp4", mediaType: "video/mp4" },
          ],
        },
      ],
    });
    expect(content.attachments.map((a) => [a.kind, a.url, a.mediaType, a.alt, a.width, a.height])).toEqual([
      ["audio", "https://a.example/a.ogg", null, null, null, null],
      ["document", "https://a.example/f.pdf", "application/pdf", null, null, null],
      ["video", "https://a.example/v.webm", "video/webm", null, null, null],
      ["video", "https://a.example/v.mp4", "video/mp4", null, null, null],
    ]);
  });

  it("ignores tags that are not usable mentions", () => {
    const content = extractDmContent({
      content: "x",
      tag: [
        { type: "Hashtag", href: "https://a.example/tags/x", name: "#x" },
        { type: "Mention", href: "javascript:alert(1)", name: "@x@y" },
        { type: "Mention", href: "https://a.example/users/x" },
      ],
    });
    expect(content.mentions).toEqual([{ href: "https://a.example/users/x", name: null }]);
  });

  it("returns an empty shape for a missing object or body", () => {
    const empty = { html: "", text: "", contentWarning: null, sensitive: false, language: null, source: "none", attachments: [], mentions: [] };
    expect(extractDmContent(undefined)).toEqual(empty);
    expect(extractDmContent({ type: "Note", content: "" })).toEqual(empty);
  });
});
