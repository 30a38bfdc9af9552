// Shared by backup.ts and backup-unpack.ts: the error every backup and restore
// refusal is, in words for the person at the command line.

export class BackupError extends Error {}

/** "812 KB", "3.4 MB": sizes as people read them. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[i]}`;
}
