#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian packages the tests and the benchmark need, in one place.
#   scripts/system-deps.sh           install the missing ones (root; apt-get)
#   scripts/system-deps.sh --check   name the missing ones; exit 1 if any
# `npm test` runs this first; CI (.ci/run) too.
set -euo pipefail

# iproute2: ip netns / veth / ifb and ss; procps: sysctl; util-linux: setpriv
# (children die with their parent); gcc + libc headers: the kernel's C
# selftest, built for the compatibility tests and the layout checks;
# apt/dpkg/xz-utils/tar: fetch and unpack linux-source-6.12; time: GNU time for
# the benchmark's CPU figures; bsdutils: script(1), a terminal for the
# progress-line test; ca-certificates: apt over https; chromium: the headless
# browser that opens the HTML reports in test/e2e/report*.test.ts.
PACKAGES=(iproute2 procps util-linux gcc libc6-dev linux-libc-dev xz-utils tar dpkg apt time bsdutils ca-certificates chromium)
# libssl-dev: libcrypto for the kernel's tcp_mmap (issue 19: TCP_ZEROCOPY_RECEIVE reference).
PACKAGES+=(libssl-dev)
# ethtool: test/e2e/doctor.test.ts turns device features off and on (issue 18; the tool itself reads them through the ioctl).
PACKAGES+=(ethtool)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "missing Debian packages: ${missing[*]} (install them with: sudo scripts/system-deps.sh)" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "missing Debian packages: ${missing[*]}; run scripts/system-deps.sh as root (or apt-get install them)" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
