#!/usr/bin/env bash
# Builds the dashboard page into dashboard/dist: installs the locked packages when the lock file changed,
# then runs a Vite build when a source is newer than the last build. Without npm it says so and leaves the
# page unbuilt (the browser test then skips with that reason).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "[dashboard] npm not found: the page is not built (install Node.js 20+ to build it)"
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Not `npm ci`: npm records only this platform's optional packages (rollup's, esbuild's native builds) in
  # the lock file, which `npm ci` then rejects on a fresh machine; `npm install --no-save` installs the
  # locked versions and leaves the lock file as it is.
  echo "[dashboard] npm install (locked versions)"
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
if [ -f dist/index.html ] && [ -z "$(find index.html src vite.config.js package-lock.json -newer dist/index.html | head -1)" ]; then
  echo "[dashboard] dist/ is up to date"
  exit 0
fi
echo "[dashboard] vite build"
npm run --silent build -- --logLevel warn
