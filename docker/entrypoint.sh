#!/bin/sh
# Container entry point: check the data volume, then run the command
# (`moiety serve` by default) as PID 1 so it receives SIGTERM itself.
set -eu
data="${MOIETY_DATA_DIR:-/data}"
if ! mkdir -p "$data" 2>/dev/null || [ ! -w "$data" ]; then
  echo "moiety: $data is not writable by user $(id -u). A bind-mounted folder must belong to uid $(id -u):" >&2
  echo "        sudo chown -R $(id -u):$(id -g) /path/to/your/folder   (or use a named volume: -v moiety-data:/data)" >&2
  exit 1
fi
exec "$@"
