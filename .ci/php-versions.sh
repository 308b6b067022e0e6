#!/usr/bin/env bash
# The PHP library's PHPUnit suite and the translator's PHP-running tests (spec suite, differential fuzzing,
# helpers) under the other PHP versions Debian ships: 7.4 (Debian 11, bullseye) and 8.4 (Debian 13, trixie), each
# in a minimal chroot with the repository bind-mounted at the same path. The host's own PHP (8.2, Debian 12) is what
# `make test` uses.
#
# Not part of `make test`: it needs root (debootstrap, chroot, mount) and deb.debian.org still serving bullseye,
# which an end-of-life release stops doing at some point. `make php-versions` runs it. The chroots are kept in
# $SCG_CHROOTS (default /var/cache/sendcloud-gate-chroots): about 150 MB each, built once (~1 minute each).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
root=${SCG_CHROOTS:-/var/cache/sendcloud-gate-chroots}
suites=${SCG_PHP_SUITES:-bullseye trixie}

if [ "$(id -u)" != 0 ]; then
  echo "php-versions: needs root (debootstrap, chroot, bind mounts)" >&2
  exit 2
fi
command -v debootstrap >/dev/null || { apt-get update -q && apt-get install -y -q debootstrap; }

# On the host: the engine's PHP, and a static CLI for the corpus comparisons (bullseye's glibc is too old for the
# host's build; the tests find it through SCG_CLI).
[ -f plugin-shim/php/generated/DecideCore.php ] || make php
rustup target list --installed | grep -q '^x86_64-unknown-linux-musl$' || rustup target add x86_64-unknown-linux-musl
CARGO_TARGET_DIR=target/musl cargo build --quiet --release -p sendcloud-gate-cli --bin sendcloud-gate --target x86_64-unknown-linux-musl
cli=$repo/target/musl/x86_64-unknown-linux-musl/release/sendcloud-gate

mounted=()
cleanup() {
  for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done
}
trap cleanup EXIT

for suite in $suites; do
  dir=$root/$suite
  case $suite in
    bullseye) packages="php-cli php-json phpunit" ;;
    *) packages="php-cli phpunit" ;;
  esac
  if [ ! -x "$dir/usr/bin/phpunit" ]; then
    echo "==> $suite: building the chroot in $dir"
    rm -rf "$dir"
    mkdir -p "$root"
    debootstrap --variant=minbase "$suite" "$dir" http://deb.debian.org/debian >/dev/null
    chroot "$dir" apt-get update -q >/dev/null
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages >/dev/null
  fi
  mkdir -p "$dir$repo"
  if ! mountpoint -q "$dir$repo"; then
    mount --bind "$repo" "$dir$repo"
    mounted+=("$dir$repo")
  fi
  if ! mountpoint -q "$dir/proc"; then
    mount -t proc proc "$dir/proc"
    mounted+=("$dir/proc")
  fi
  # `php` for the translator's tests (they run $PHP): this chroot's PHP, in the caller's directory.
  wrapper=$root/php-$suite
  printf '#!/bin/sh\nexec chroot %s /bin/sh -c '"'"'cd "$0" && exec php "$@"'"'"' "$PWD" "$@"\n' "$dir" > "$wrapper"
  chmod +x "$wrapper"
  version=$("$wrapper" -r 'echo PHP_VERSION;')

  echo "==> PHP $version ($suite): the PHP library's PHPUnit suite"
  chroot "$dir" env SCG_CLI="$cli" sh -c "cd '$repo' && phpunit -c plugin-shim/php/phpunit.xml.dist" | grep -v '^\.'
  echo "==> PHP $version ($suite): wasm2php spec suite, differential fuzzing and helpers"
  PHP=$wrapper cargo test --quiet --release -p wasm2php -- --nocapture 2>&1 | grep -E '^TOTAL|^test result: FAILED|panicked|mismatch|modules'
done
echo "==> php-versions: all passed"
