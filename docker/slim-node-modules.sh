#!/bin/sh
# Trim node_modules copies for the runtime image (called by docker/Dockerfile).
#   $1  the command line's node_modules (tsx, prisma migrate, lib/)
#   $2  the standalone web app's traced node_modules
# Every removal here is checked by `npm run test:container` (setup, serve, doctor inside the image).
set -eu
cli="$1"
web="$2"

# Prisma ships a WebAssembly query compiler/engine for every database; Moiety only uses SQLite.
for dir in "$cli/@prisma/client/runtime" "$web/@prisma/client/runtime" "$cli/prisma/build"; do
  [ -d "$dir" ] || continue
  find "$dir" -maxdepth 1 -type f \( -name '*cockroachdb*' -o -name '*mysql*' -o -name '*postgresql*' -o -name '*sqlserver*' \) -delete
done

# The web app runs from the standalone output with its own copies; the command line never loads these.
rm -rf "$cli/next" "$cli/@next" "$cli/react" "$cli/react-dom" "$cli/next-auth" "$cli/@img" "$cli/sharp" \
       "$cli/styled-jsx" "$cli/caniuse-lite" "$cli/@swc"

# Build leftovers of the native addon (sources and object files); the .node binary stays.
for m in "$cli/better-sqlite3" "$web/better-sqlite3"; do
  [ -d "$m" ] || continue
  rm -rf "$m/deps" "$m/src" "$m/build/Release/obj" "$m/build/Release/obj.target" "$m/build/Release/.deps" "$m/build/deps" "$m/build/Release/test_extension.node"
done

# Type declarations, source maps and docs are not needed to run.
find "$cli" "$web" \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -iname 'README*' -o -iname 'CHANGELOG*' \) -type f -delete

# Optional peers that npm keeps because the dev tree had them (typescript for Prisma, Playwright for Next).
rm -rf "$cli/typescript" "$cli/playwright" "$cli/playwright-core" "$cli/@playwright" \
       "$web/typescript" "$web/playwright" "$web/playwright-core" "$web/@playwright"
