import { Fragment } from "react";

/**
 * A fediverse address or URL that wraps, when it must, before an "@" or after a "/" — never inside
 * a name or a host (break-words splits a part only when it is wider than the whole line).
 */
export function Address({ value, className = "" }: { value: string; className?: string }) {
  const parts = value.split(/(?=@)|(?<=\/)/).filter(Boolean);
  return (
    <span className={`break-words ${className}`}>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {p}
        </Fragment>
      ))}
    </span>
  );
}
