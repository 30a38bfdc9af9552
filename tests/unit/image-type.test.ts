import { describe, expect, it } from "vitest";
import { checkAvatar, isMediaName, AVATAR_MAX_BYTES } from "@/lib/domain/avatar";
import { sniffImageType } from "@/lib/domain/image-type";

const bytes = (...b: number[]) => new Uint8Array([...b, ...new Array(16).fill(0)]);
const PNG = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const JPEG = bytes(0xff, 0xd8, 0xff, 0xe0);
const GIF = bytes(0x47, 0x49, 0x46, 0x38, 0x39, 0x61);
const WEBP = bytes(0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50);

describe("image type sniffing", () => {
  it("recognises the four allowed formats from their bytes", () => {
    expect(sniffImageType(PNG)).toBe("image/png");
    expect(sniffImageType(JPEG)).toBe("image/jpeg");
    expect(sniffImageType(GIF)).toBe("image/gif");
    expect(sniffImageType(WEBP)).toBe("image/webp");
  });
  it("refuses everything else, whatever the file was called", () => {
    const enc = new TextEncoder();
    expect(sniffImageType(enc.encode("<html><script>alert(1)</script>"))).toBeNull();
    expect(sniffImageType(enc.encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImageType(bytes(0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x41, 0x56, 0x49, 0x20))).toBeNull(); // AVI
    expect(sniffImageType(new Uint8Array([0x89, 0x50]))).toBeNull();
  });
  it("checks size and emptiness", () => {
    expect(checkAvatar(new Uint8Array())).toEqual({ ok: false, error: "The image file is empty." });
    const big = new Uint8Array(AVATAR_MAX_BYTES + 1);
    big.set(PNG);
    expect(checkAvatar(big)).toEqual({ ok: false, error: "The image is larger than 2 MB." });
    expect(checkAvatar(PNG)).toMatchObject({ ok: true, image: { type: "image/png" } });
  });
  it("only ever serves names it made", () => {
    expect(isMediaName("avatar-0123456789abcdef01234567.png")).toBe(true);
    expect(isMediaName("../moiety.db")).toBe(false);
    expect(isMediaName(".avatar-0123456789abcdef01234567.png.tmp")).toBe(false);
    expect(isMediaName("avatar-0123456789abcdef01234567.svg")).toBe(false);
  });
});
