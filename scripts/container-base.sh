#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A local stand-in for the official Node image, for machines that cannot pull
# one (the tests here): Debian bookworm (debootstrap --variant=minbase, from
# the Debian mirror this machine's apt sources name) with this machine's own
# node and npm copied in. The Containerfile builds on it exactly as on
# docker.io/library/node:20-bookworm-slim (BASE_IMAGE build argument).
#
#   scripts/container-base.sh
#
# Prints the path of a tarball of that root file system (for `podman
# import`). The tarball is cached in ~/.cache/msg-zerocopy/container, keyed by
# the suite, the mirror, node's and npm's versions and this script: a second
# call on the same machine only copies it (a fresh machine builds it, about
# two to five minutes). Run as root (debootstrap).
set -euo pipefail

suite=bookworm

# The mirror: the first deb.debian.org-style "debian" URI in the apt sources
# (one-line or deb822 format), else Debian's own.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}

node_bin=$(command -v node)
node_version=$(node --version)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
npm_version=$(npm --version)
key=$(printf '%s\n' "$suite" "$mirror" "$node_version" "$npm_version" "$(sha256sum < "$0")" | sha256sum | cut -c1-16)
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/msg-zerocopy/container
cached=$cache_dir/base-$suite-node$node_version-$key.tar

if [[ ! -s $cached ]]; then
  command -v debootstrap >/dev/null || { echo "container-base: debootstrap is missing (scripts/system-deps.sh installs it)" >&2; exit 1; }
  mkdir -p "$cache_dir"
  root=$(mktemp -d /tmp/mzc-base-XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "container-base: debootstrap $suite from $mirror (once per machine)" >&2
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 ||
    { tail -n 20 "$root.log" >&2; rm -f "$root.log"; echo "container-base: debootstrap failed" >&2; exit 1; }
  rm -f "$root.log"
  # Node and npm as the official image has them: /usr/local/bin/node, npm and npx.
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # What an image does not need: package lists, caches, documentation.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
  chroot "$root" /usr/local/bin/node --version >/dev/null
  tar -C "$root" --numeric-owner -cf "$cached.tmp" .
  mv "$cached.tmp" "$cached"
  # Older tarballs of this cache (another node, mirror or script) are stale.
  find "$cache_dir" -maxdepth 1 -name 'base-*.tar' ! -path "$cached" -delete
fi
echo "$cached"
