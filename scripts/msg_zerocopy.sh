#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Drop-in for the kernel selftest driver tools/testing/selftests/net/msg_zerocopy.sh:
#
#   msg_zerocopy.sh                     ipv4/ipv6 x tcp/udp with -t 1, one verdict
#   msg_zerocopy.sh [4|6] [tcp|udp|raw|raw_hdrincl|packet|packet_dgram] <args>
#
# Each run is `msg-zerocopy suite` in fresh network namespaces (root needed);
# <args> go to both sender and receiver, after the driver's own flags, as in
# the kernel script. Extra suite options (e.g. --ktap) can be given in the
# environment variable MSG_ZEROCOPY_SUITE_OPTS.

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly BIN="${here}/../bin/msg-zerocopy"
readonly NODE="${NODE:-node}"

# Word-split the optional suite options on purpose (no globbing).
set -f
# shellcheck disable=SC2206
suite_opts=(${MSG_ZEROCOPY_SUITE_OPTS:-})
set +f

# No arguments: automated test
if [[ "$#" -eq 0 ]]; then
	ret=0
	"${NODE}" "${BIN}" suite --family 4,6 --tests tcp,udp -t 1 "${suite_opts[@]}" || ret=1
	[[ "${ret}" == "0" ]] && echo "OK. All tests passed"
	exit "${ret}"
fi

if [[ "$#" -lt 2 ]]; then
	echo "Usage: $0 [4|6] [tcp|udp|raw|raw_hdrincl|packet|packet_dgram] <args>"
	exit 1
fi

readonly IP="$1"
shift
readonly TXMODE="$1"
shift

if [[ "${IP}" != "4" && "${IP}" != "6" ]]; then
	echo "Invalid IP version ${IP}"
	exit 1
fi

case "${TXMODE}" in
tcp | udp | raw | raw_hdrincl | packet | packet_dgram) ;;
*)
	echo "Invalid test ${TXMODE}"
	exit 1
	;;
esac

extra=""
if [[ "$#" -gt 0 ]]; then
	extra="$(printf '%q ' "$@")"
fi

ret=0
"${NODE}" "${BIN}" suite --family "${IP}" --tests "${TXMODE}" --extra "${extra}" "${suite_opts[@]}" || ret=1
[[ "${ret}" == "0" ]] && echo "OK"
exit "${ret}"
