#!/usr/bin/env bash
# Issue 17 item 5: how long the chain takes to resume once quorum returns (opt-in; not part of ./test.sh).
# Usage: tests/e2e/resume.sh   (RUNS=5 DOWN_SECONDS=5; P2P_PORT / RPC_PORT default 36656 / 36657, not the default
#        testnet ports, and step by 10 per node as in run-testnet.sh)
#
# Starts a fresh four-validator testnet with ./run-testnet.sh (its directory testnet/ of this checkout), then RUNS
# times: stops validators 2 and 3 (quorum lost), submits a transaction through node 0 (`dkms-node probe`, which
# waits for its commit), waits DOWN_SECONDS, starts validator 2 again and measures, from the moment its process is
# launched, when its RPC answers and when node 0 commits the next height; then starts validator 3 and waits for the
# four to agree. Prints one line per run, the medians and the load average; the testnet is removed at the end
# (logs kept in /tmp with KEEP_LOGS=1).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export P2P_PORT=${P2P_PORT:-36656} RPC_PORT=${RPC_PORT:-36657}
RUNS=${RUNS:-5}
DOWN_SECONDS=${DOWN_SECONDS:-5}
BIN="$ROOT/src/Dkms.Node/bin/Release/net10.0/dkms-node"
GENESIS="$ROOT/genesis/genesis.json"
probe_pid=""
cleanup() {
  if [ -n "$probe_pid" ] && kill -0 "$probe_pid" 2>/dev/null; then kill "$probe_pid" 2>/dev/null; wait "$probe_pid" 2>/dev/null; fi
  if [ -n "${KEEP_LOGS:-}" ] && ls testnet/node*/node.log >/dev/null 2>&1; then
    local keep; keep=$(mktemp -d /tmp/resume-logs.XXXXXX)
    for f in testnet/node*/node.log; do cp "$f" "$keep/$(basename "$(dirname "$f")").log"; done
    echo "logs kept in $keep"
  fi
  ./run-testnet.sh clean >/dev/null 2>&1
}
trap cleanup EXIT

url() { echo "http://127.0.0.1:$((RPC_PORT + 10 * $1))/"; }
status() { curl -s -m 1 -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"node.status"}' "$(url "$1")" 2>/dev/null || true; }
height() { status "$1" | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

./run-testnet.sh clean >/dev/null 2>&1
./run-testnet.sh >/dev/null || { echo "testnet did not start"; exit 1; }
starts=(); rpcs=(); fromrpc=()
for run in $(seq 1 "$RUNS"); do
  ./run-testnet.sh stop 3 >/dev/null; ./run-testnet.sh stop 2 >/dev/null
  "$BIN" probe --rpc "$(url 0)" --genesis "$GENESIS" --timeout-ms 120000 >/dev/null 2>&1 &
  probe_pid=$!
  sleep "$DOWN_SECONDS"
  stalled=$(height 0)
  [ -n "$stalled" ] || { echo "run $run: node 0 does not answer"; exit 1; }
  t0=$(now_ms)
  ./run-testnet.sh restart 2 >/dev/null
  t_rpc=""; t_commit=""
  while [ $(($(now_ms) - t0)) -lt 60000 ]; do
    if [ -z "$t_rpc" ] && [ -n "$(status 2)" ]; then t_rpc=$(now_ms); fi
    h=$(height 0)
    if [ -n "$h" ] && [ "$h" -gt "$stalled" ]; then t_commit=$(now_ms); break; fi
    sleep 0.02
  done
  if [ -z "$t_commit" ]; then echo "run $run: no commit within 60 s after node 2 started (stalled at $stalled)"; exit 1; fi
  t_rpc=${t_rpc:-$t_commit}
  echo "run $run (launched $(date -u -d "@$((t0 / 1000)).$(printf '%03d' $((t0 % 1000)))" +%H:%M:%S.%3N) UTC): height $stalled -> $((stalled + 1)): commit $((t_commit - t0)) ms after node 2 was launched, its RPC up at $((t_rpc - t0)) ms ($((t_commit - t_rpc)) ms before the commit)"
  starts+=($((t_commit - t0))); rpcs+=($((t_rpc - t0))); fromrpc+=($((t_commit - t_rpc)))
  wait "$probe_pid" 2>/dev/null; probe_pid=""
  ./run-testnet.sh restart 3 >/dev/null
  for _ in $(seq 1 300); do
    a=$(height 0); b=$(height 3)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" = "$b" ] && break
    sleep 0.1
  done
done
echo "median over $RUNS runs: commit $(printf '%s\n' "${starts[@]}" | median) ms after launch; RPC up at $(printf '%s\n' "${rpcs[@]}" | median) ms; commit $(printf '%s\n' "${fromrpc[@]}" | median) ms after RPC up"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
