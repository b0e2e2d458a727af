#!/usr/bin/env bash
# Issue 18 §1/§2: admission through one writer and filters, measured side by side with the build before it.
#   BEFORE=/work/wt/admission-old bench/admission-compare.sh
# BEFORE is a checkout of the build to compare with (e.g. `git worktree add ../admission-old <commit>`); without it
# only this tree is measured. For each build (BEFORE first, then this tree): a fresh 4-validator ./run-testnet.sh on
# P2P_PORT/RPC_PORT (38656/38657), a WARMUP (15) s warm-up inside each run, RUNS (3) runs of DURATION (30) s at RATE
# (1000) tx/s with GRACE (20) s to see the rest commit, then `./run-testnet.sh clean`. The load generator is this tree's.
# Writes OUT/<build>-<n>.json and OUT/summary.md (p50, p99, committed tx/s, blocks/s, load average before each run).
# About 2 x (30 s start + 3 x 70 s) ≈ 8 min plus the builds.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$(pwd)
P2P_PORT=${P2P_PORT:-38656}
RPC_PORT=${RPC_PORT:-38657}
RATE=${RATE:-1000}
RUNS=${RUNS:-3}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-15}
GRACE=${GRACE:-20}
OUT=${OUT:-bench/Dkms.LoadGen/results/admission-$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$OUT"
dotnet build bench/Dkms.LoadGen/Dkms.LoadGen.csproj -c Release -nologo -v quiet | grep -E " error |rror\(s\)" || true
LG=(dotnet "$HERE/bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen.dll")
echo "| build | run | load average (1 min) before | p50 (ms) | p99 (ms) | committed tx/s | blocks/s |" > "$OUT/summary.md"
echo "|---|---|---|---|---|---|---|" >> "$OUT/summary.md"

measure() { # name dir
  local name=$1 dir=$2
  (cd "$dir" && P2P_PORT=$P2P_PORT RPC_PORT=$RPC_PORT ./run-testnet.sh clean >/dev/null 2>&1 || true)
  (cd "$dir" && P2P_PORT=$P2P_PORT RPC_PORT=$RPC_PORT ./run-testnet.sh)
  trap '(cd "$dir" && P2P_PORT=$P2P_PORT RPC_PORT=$RPC_PORT ./run-testnet.sh clean >/dev/null 2>&1 || true)' EXIT
  for n in $(seq 1 "$RUNS"); do
    local load; load=$(cut -d' ' -f1 /proc/loadavg)
    echo "=== $name run $n at $RATE tx/s ($(date -u +%H:%M:%S), load $load)"
    RPC_PORT=$RPC_PORT "${LG[@]}" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --grace "$GRACE" \
      --testnet "$dir/testnet" --genesis "$dir/testnet/genesis.json" --label "$name" --out "$OUT/$name-$n.json" \
      2> >(grep -v '^t=' >&2) || echo "(run exited with $?)"
    python3 - "$OUT/$name-$n.json" "$name" "$n" "$load" >> "$OUT/summary.md" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {d['latency']['p50']} | {d['latency']['p99']} | {d['committedTxPerSecond']} | {d['blocksPerSecond']} |")
PY
  done
  (cd "$dir" && P2P_PORT=$P2P_PORT RPC_PORT=$RPC_PORT ./run-testnet.sh clean >/dev/null 2>&1 || true)
  trap - EXIT
}

if [ -n "${BEFORE:-}" ]; then measure "before-$(git -C "$BEFORE" rev-parse --short HEAD)" "$BEFORE"; fi
measure "after-$(git rev-parse --short HEAD)" "$HERE"
cat "$OUT/summary.md"
