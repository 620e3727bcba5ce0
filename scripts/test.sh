#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The whole test suite: build, then unit, end-to-end and compatibility tests.
# End-to-end tests create network namespaces: run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
# The Debian packages the tests need: installed when missing (as root), else named.
bash scripts/system-deps.sh
npm run --silent build
files=(test/unit/*.test.ts test/e2e/*.test.ts test/compat/*.test.ts)
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
