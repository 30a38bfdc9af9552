"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";

const TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];
const MAX_BYTES = 8 * 1024 * 1024;
const MAX_COUNT = 4;

type Item = { file: File; alt: string; url: string };

/** State for images attached to a message: files, their alt texts, previews, and errors. */
export function useAttachments() {
  const [items, setItems] = useState<Item[]>([]);
  const [error, setError] = useState<string | null>(null);
  // A preview's URL is released when its image leaves, not on every change of
  // the list (that revoked the previews still shown, on each alt-text keystroke).
  const current = useRef(items);
  current.current = items;
  useEffect(() => () => current.current.forEach((i) => URL.revokeObjectURL(i.url)), []);
  return {
    items,
    error,
    add(files: FileList | null) {
      setError(null);
      const next = [...items];
      for (const file of Array.from(files ?? [])) {
        if (!TYPES.includes(file.type)) setError("Attach PNG, JPEG, WebP or GIF images only.");
        else if (file.size > MAX_BYTES) setError(`${file.name} is larger than 8 MB.`);
        else if (next.length >= MAX_COUNT) setError(`Attach at most ${MAX_COUNT} images.`);
        else next.push({ file, alt: "", url: URL.createObjectURL(file) });
      }
      setItems(next);
    },
    setAlt(i: number, alt: string) {
      setItems(items.map((x, j) => (j === i ? { ...x, alt } : x)));
    },
    remove(i: number) {
      if (items[i]) URL.revokeObjectURL(items[i].url);
      setItems(items.filter((_, j) => j !== i));
    },
    clear() {
      items.forEach((x) => URL.revokeObjectURL(x.url));
      setItems([]);
      setError(null);
    },
    appendTo(form: FormData) {
      for (const i of items) {
        form.append("image", i.file);
        form.append("alt", i.alt);
      }
    },
  };
}

export function AttachmentPicker({ state, compact, beside }: { state: ReturnType<typeof useAttachments>; compact?: boolean; beside?: ReactNode }) {
  const id = useId();
  return (
    <div className={compact ? "mb-2" : ""}>
      {state.items.length > 0 && (
        <ul className="mb-2 flex flex-wrap gap-3" aria-label="Attached images">
          {state.items.map((item, i) => (
            <li key={item.url} className="flex w-40 flex-col gap-1">
              {/* eslint-disable-next-line @next/next/no-img-element -- local preview */}
              <img src={item.url} alt="" className="h-24 w-40 rounded-lg object-cover" />
              <label htmlFor={`${id}-alt-${i}`} className="text-xs font-medium">
                Alt text for image {i + 1}
              </label>
              <input
                id={`${id}-alt-${i}`}
                value={item.alt}
                onChange={(e) => state.setAlt(i, e.target.value)}
                placeholder="Describe it"
                maxLength={1500}
                className="rounded border border-stone-300 bg-white px-2 py-1 text-sm dark:border-stone-700 dark:bg-stone-950"
              />
              <button type="button" onClick={() => state.remove(i)} className="self-start text-xs underline">
                Remove image {i + 1}
              </button>
            </li>
          ))}
        </ul>
      )}
      <label className="inline-flex min-h-9 cursor-pointer items-center gap-2 rounded-lg border border-stone-300 px-3 text-sm hover:bg-stone-100 focus-within:outline focus-within:outline-3 focus-within:outline-accent-500 dark:border-stone-700 dark:hover:bg-stone-800">
        <input
          type="file"
          accept={TYPES.join(",")}
          multiple
          className="sr-only"
          onChange={(e) => {
            state.add(e.target.files);
            e.target.value = "";
          }}
        />
        Attach image
      </label>
      {beside && <span className="ml-2 inline-flex">{beside}</span>}
      {state.error && (
        <p role="alert" className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
          {state.error}
        </p>
      )}
    </div>
  );
}
