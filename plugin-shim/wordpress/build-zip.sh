#!/usr/bin/env bash
# `make wp-plugin`: the installable plugin zip, OUTDIR/sendcloud-gate-<version>.zip (default OUTDIR: dist/), with the
# plugin's files under sendcloud-gate/ and the PHP library (src/, autoload.php, generated/) under sendcloud-gate/lib/.
# Needs plugin-shim/php/generated/ (`make php`). Prints the zip's path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/dist}"
lib="$repo/plugin-shim/php"

if [ ! -f "$lib/generated/DecideCore.php" ] || [ ! -d "$lib/generated/DecideCore" ]; then
    echo "build-zip: $lib/generated/ is missing or incomplete: run \`make php\` first" >&2
    exit 1
fi
version="$(sed -n 's/^ \* Version: *\([0-9A-Za-z.+-]*\).*/\1/p' "$here/sendcloud-gate.php" | head -n 1)"
if [ -z "$version" ]; then
    echo "build-zip: no Version header in sendcloud-gate.php" >&2
    exit 1
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
dest="$stage/sendcloud-gate"
mkdir -p "$dest/lib"
cp "$here"/sendcloud-gate.php "$here"/bootstrap.php "$here"/autoload.php "$here"/uninstall.php "$here"/README.md "$dest/"
cp -R "$here/src" "$dest/src"
# The plain-language texts of actions and reasons: one file, shared with the rule tester page (src/Admin/Texts.php).
cp "$repo/www/reasons.json" "$dest/reasons.json"
cp "$here/readme.txt" "$dest/"
cp -R "$here/languages" "$dest/languages"
cp "$lib/autoload.php" "$lib/README.md" "$dest/lib/"
cp -R "$lib/src" "$dest/lib/src"
cp -R "$lib/generated" "$dest/lib/generated"
find "$dest" -name '*.tmp' -delete

mkdir -p "$out"
out="$(cd "$out" && pwd)"
zipfile="$out/sendcloud-gate-$version.zip"
rm -f "$zipfile"
(cd "$stage" && if command -v zip >/dev/null; then zip -qrX "$zipfile" sendcloud-gate;
 else python3 -m zipfile -c "$zipfile" sendcloud-gate; fi)
echo "$zipfile"
