#!/usr/bin/env bash
# Renders executed notebooks (artifacts/notebooks/*.ipynb, from ./build.sh notebooks) the way a static viewer does
# (nbconvert HTML) and takes headless-Chromium screenshots with scripts off and on, into artifacts/render/.
# With scripts on, charts load plotly.js from a local copy (npm's plotly.js-dist-min) instead of the CDN, so the
# interactive upgrade is checked offline too.
#
# Needs Debian's chromium and python3-nbconvert, and npm: apt-get install chromium python3-nbconvert
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$repo/artifacts/render"
mkdir -p "$out"
command -v chromium >/dev/null || { echo "chromium is missing: apt-get install chromium" >&2; exit 1; }
/usr/bin/python3 -c "import nbconvert" 2>/dev/null || { echo "nbconvert is missing: apt-get install python3-nbconvert" >&2; exit 1; }

plotly="$out/plotly.min.js"
if [[ ! -f "$plotly" ]]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent plotly.js-dist-min@2.35.2 >/dev/null && tar xzf plotly.js-dist-min-2.35.2.tgz)
  cp "$tmp/package/plotly.min.js" "$plotly"
  rm -rf "$tmp"
fi

notebooks=("$@")
[[ ${#notebooks[@]} -gt 0 ]] || notebooks=("$repo"/artifacts/notebooks/*.ipynb)
for notebook in "${notebooks[@]}"; do
  name="$(basename "$notebook" .ipynb)"
  /usr/bin/python3 -m nbconvert --to html --output-dir "$out" --output "$name" "$notebook" >/dev/null 2>&1
  sed "s#https://cdn.plot.ly/plotly-2.35.2.min.js#file://$plotly#g" "$out/$name.html" > "$out/$name.local.html"
  chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
          --disable-component-update --disable-sync --hide-scrollbars --allow-file-access-from-files
          --window-size=1100,"${RENDER_HEIGHT:-6000}" --virtual-time-budget=8000)
  "${chrome[@]}" --user-data-dir="$(mktemp -d)" --disable-javascript \
    --screenshot="$out/$name.scripts-off.png" "file://$out/$name.html" >/dev/null 2>&1
  "${chrome[@]}" --user-data-dir="$(mktemp -d)" \
    --screenshot="$out/$name.scripts-on.png" "file://$out/$name.local.html" >/dev/null 2>&1
  echo "$name: $out/$name.scripts-off.png, $out/$name.scripts-on.png"
done
