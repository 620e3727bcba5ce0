#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# What the pods of deploy/kubernetes run (installed in the image as
# msg-zerocopy-pod). Plain POSIX sh: the plan comes from the environment (a
# ConfigMap), every value goes to msg-zerocopy as an argument (never through
# eval), and msg-zerocopy checks it.
#
#   msg-zerocopy-pod serve   serve on this node's address ($MZC_ADDRESS) until stopped
#   msg-zerocopy-pod pair    run the plan against the serve at $MZC_DESTINATION: for each
#                            repetition, test and size, a copy run and then a zerocopy run
#                            (back to back, so merge can pair them), each `pair --json`:
#                            one JSON line per run on stdout (the pod's log), pair's own
#                            lines on stderr. Exit 1 when any run failed (after all of them).
#
# The secret: Kubernetes mounts a Secret's files owned by root (group fsGroup),
# but serve and pair accept only a file of their own user, mode 0600 or
# stricter (README, "The secret"); so it is copied into a memory-backed
# emptyDir first, readable by this user alone.
set -eu

secret_from=${MZC_SECRET_FILE:-/etc/msg-zerocopy/secret/secret}
run_dir=${MZC_RUN_DIR:-/run/msg-zerocopy}
family=${MZC_FAMILY:-4}

say() { echo "msg-zerocopy-pod: $*" >&2; }

copy_secret() {
  [ -r "$secret_from" ] || { say "cannot read the secret at $secret_from (mount the Secret there, or set MZC_SECRET_FILE)"; exit 1; }
  umask 077
  rm -f "$run_dir/secret"
  cp "$secret_from" "$run_dir/secret"
  chmod 600 "$run_dir/secret"
}

case "${1:-}" in
serve)
  : "${MZC_ADDRESS:?set MZC_ADDRESS to the address of this node (the manifests take status.hostIP)}"
  copy_secret
  # shellcheck disable=SC2086 # MZC_SERVE_ARGS: extra options, one word each
  exec msg-zerocopy serve "-$family" -D "$MZC_ADDRESS" --secret-file "$run_dir/secret" ${MZC_SERVE_ARGS:-}
  ;;
pair)
  : "${MZC_DESTINATION:?set MZC_DESTINATION to the address of the node whose serve to run against}"
  copy_secret
  source_arg=
  # -S names the source in the reports (merge shows it); tcp and udp do not otherwise use it
  [ -n "${MZC_ADDRESS:-}" ] && source_arg="-S $MZC_ADDRESS"
  failed=0
  runs=0
  rep=1
  while [ "$rep" -le "${MZC_REPS:-6}" ]; do
    for test in ${MZC_TESTS:-udp tcp}; do
      for size in ${MZC_SIZES:-65435}; do
        for mode in ${MZC_MODES:-copy zerocopy}; do
          case $mode in
          copy) z= ;;
          zerocopy) z=-z ;;
          *) say "MZC_MODES: '$mode' is neither copy nor zerocopy"; exit 1 ;;
          esac
          runs=$((runs + 1))
          # shellcheck disable=SC2086 # word lists by design
          if ! msg-zerocopy pair "-$family" -D "$MZC_DESTINATION" $source_arg -t "${MZC_SECONDS:-2}" -s "$size" \
            -P "${MZC_FLOWS:-1}" $z --secret-file "$run_dir/secret" --json ${MZC_PAIR_ARGS:-} "$test"; then
            failed=$((failed + 1))
            say "run $runs ($test, $size B, $mode, repetition $rep) failed"
          fi
        done
      done
    done
    rep=$((rep + 1))
  done
  say "$runs runs, $failed failed"
  [ "$failed" -eq 0 ]
  ;;
*)
  say "usage: msg-zerocopy-pod serve|pair (see deploy/kubernetes)"
  exit 1
  ;;
esac
