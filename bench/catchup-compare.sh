#!/usr/bin/env bash
# Observer catch-up before and after several blocks in flight (docs/performance-e2e.md, "Observer catch-up"),
# unattended, about 10 minutes: builds dkms-node at BASE (default da895ce, the last commit with one block in flight) in
# the worktree BASE_DIR, builds a chain of small blocks with bench/observer-catchup.sh (TXS=3000 RATE=50
# LOAD_SECONDS=60: ~180 blocks of ~20 tx, the case bound by the fixed cost per block), then times RUNS catch-ups of an
# observer from an empty data directory with each build in turn on the same chain (same validators: this checkout's).
# Each line printed (and appended to bench/results/observer-catchup.txt) carries the load average.
# Environment: BASE, BASE_DIR (/tmp/dkms-catchup-base), RUNS (2), TXS, RATE, LOAD_SECONDS, P2P_PORT (34656),
#   RPC_PORT (34657), TESTNET_DIR (/tmp/dkms-catchup-compare). Cleans up the testnet and the worktree at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-da895ce}
BASE_DIR=${BASE_DIR:-/tmp/dkms-catchup-base}
RUNS=${RUNS:-2}
export P2P_PORT=${P2P_PORT:-34656} RPC_PORT=${RPC_PORT:-34657}
export TESTNET_DIR=${TESTNET_DIR:-/tmp/dkms-catchup-compare}
export TXS=${TXS:-3000} RATE=${RATE:-50} LOAD_SECONDS=${LOAD_SECONDS:-60}
cleanup() {
  ./run-testnet.sh clean >/dev/null 2>&1 || true
  git worktree remove --force "$BASE_DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "$(date -u +%T) building dkms-node at $BASE in $BASE_DIR (load average $(cut -d' ' -f1-3 /proc/loadavg))"
[ -d "$BASE_DIR" ] || git worktree add --detach "$BASE_DIR" "$BASE" >/dev/null
dotnet build "$BASE_DIR/src/Dkms.Node/Dkms.Node.csproj" -c Release -nologo -v quiet >/dev/null
base_bin="$BASE_DIR/src/Dkms.Node/bin/Release/net10.0/dkms-node"

KEEP=1 RUNS=1 ./bench/observer-catchup.sh | sed 's/^/after (several in flight): /'
for run in $(seq 1 "$RUNS"); do
  OBSERVER_BIN="$base_bin" REUSE=1 KEEP=1 RUNS=1 ./bench/observer-catchup.sh | sed "s/^/before ($BASE, one in flight): /"
  REUSE=1 KEEP=1 RUNS=1 ./bench/observer-catchup.sh | sed 's/^/after (several in flight): /'
done
