#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetch Debian's linux-source-6.12, extract the kernel's msg_zerocopy selftest
# (msg_zerocopy.c, msg_zerocopy.sh) and io_uring_zerocopy_tx (.c, .sh, with
# the tree's io_uring.h and mini_liburing.h) and udpgso_bench_{tx,rx} (with
# udpgso_bench.sh, in_netns.sh, ../kselftest.h), build them with gcc -O2 and
# cache them in ${XDG_CACHE_HOME:-~/.cache}/msg-zerocopy/reference/<version>/.
# Prints where.
#   scripts/fetch-reference.sh [--json | --reason]
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx src/reference/main.ts "$@"
