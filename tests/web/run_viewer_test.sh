#!/usr/bin/env bash
# ctest -L web: the viewer in Debian's chromium. Exits 77 (skipped, with the reason) where chromium,
# node or the npm packages are missing.
#   run_viewer_test.sh STRATA MAKE_CATALOG NODE_MODULES WEB_ROOT ARTEFACT_DIR
set -euo pipefail
strata=$1 make_catalog=$2 node_modules=$3 web_root=$4 artefacts=$5
here=$(cd "$(dirname "$0")" && pwd)
source "$here/serve_url.sh"
[[ -x /usr/bin/chromium ]] || { echo "skipped: /usr/bin/chromium is not installed (scripts/setup.sh installs it)"; exit 77; }
command -v node >/dev/null || { echo "skipped: node is not installed"; exit 77; }
[[ -d "$node_modules/puppeteer-core" ]] || { echo "skipped: $node_modules/puppeteer-core missing (the build runs npm ci)"; exit 77; }
[[ -f "$web_root/index.html" ]] || { echo "skipped: no viewer in $web_root"; exit 77; }

work=$(mktemp -d)
server=
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$make_catalog" "$work" >"$work/catalog.log" 2>&1 || { cat "$work/catalog.log"; exit 1; }
"$strata" serve --maps "$work/pred" --listen 127.0.0.1:0 --web "$web_root" >"$work/serve.out" 2>"$work/serve.err" &
server=$!
url=$(serve_url "$work/serve.out" "$work/serve.err" "$server" 100)
rm -rf "$artefacts"
node "$here/viewer_test.cjs" "$url" "$node_modules" "$artefacts"
