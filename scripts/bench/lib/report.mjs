// Numbers in, text out: percentiles, markdown tables, and one JSON line per
// figure (prefixed "BENCH " so a script can grep them out of the output).

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0],
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.at(-1),
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
  };
}

export const MB = 1024 * 1024;

export function round(v, digits = 1) {
  if (typeof v !== "number" || !Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * A figure: { bench, name, value, unit, target?: [op ("<" | "<=" | ">=" | "="), value], note? }.
 * `ok` is derived from the target.
 */
export function figure(bench, name, value, unit, target, note) {
  const f = { bench, name, value: round(value, unit === "ms" && value < 10 ? (value < 1 ? 3 : 2) : 1), unit };
  if (target) {
    f.target = `${{ ">=": "≥", "<=": "≤" }[target[0]] ?? target[0]} ${target[1].toLocaleString("en-US")} ${unit}`;
    const [op, limit] = target;
    f.ok = op === "<" ? value < limit : op === "<=" ? value <= limit : op === "=" ? value === limit : value >= limit;
  }
  if (note) f.note = note;
  return f;
}

export function printFigure(f) {
  console.log(`BENCH ${JSON.stringify(f)}`);
}

export function markdownTable(figures) {
  const rows = ["| figure | value | target | |", "|---|---:|---|---|"];
  for (const f of figures) {
    const mark = f.ok === undefined ? "" : f.ok ? "✅" : "❌";
    const value = typeof f.value === "number" ? `${f.value.toLocaleString("en-US")} ${f.unit}` : `${f.value} ${f.unit ?? ""}`;
    rows.push(`| ${f.name}${f.note ? ` (${f.note})` : ""} | ${value} | ${f.target ?? ""} | ${mark} |`);
  }
  return rows.join("\n");
}

/** Parse `--name value` / `--flag` arguments over defaults (numbers stay numbers). */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    // Only the first "=" separates: --node-options=--v8-pool-size=1 keeps its value whole.
    const eq = a.indexOf("=");
    const k = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const key = k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    let v = eq < 0 ? undefined : a.slice(eq + 1);
    if (v === undefined) {
      const next = argv[i + 1];
      // A string option takes the next word even when it starts with "--" (V8 flags for --node-options).
      if (next !== undefined && (!next.startsWith("--") || typeof defaults[key] === "string")) {
        v = next;
        i++;
      } else v = "true";
    }
    const d = defaults[key];
    out[key] = typeof d === "number" ? Number(v) : typeof d === "boolean" ? v !== "false" : v;
  }
  return out;
}
