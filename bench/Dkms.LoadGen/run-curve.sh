#!/usr/bin/env bash
# Throughput/latency curve against a running testnet (./run-testnet.sh first).
#   bench/Dkms.LoadGen/run-curve.sh                 offered 500 1000 2000 4000 6000 8000 max, 20 s each
# Environment: RATES ("500 1000 2000 4000 6000 8000 max"), DURATION (20), REPEAT (1), IDENTITIES (4000),
#   GRACE (60), MAX_TXS (60000, prepared for the max point), OUT (bench/results/curve-<time>),
#   RPC_PORT (26657; the loadgen derives the node addresses from it), EXTRA (more loadgen options).
# Writes OUT/<label>-<n>.json, OUT/curve.md and docs/performance-e2e.svg.
set -euo pipefail
cd "$(dirname "$0")/../.."
RATES=${RATES:-"500 1000 2000 4000 6000 8000 max"}
DURATION=${DURATION:-20}
REPEAT=${REPEAT:-1}
IDENTITIES=${IDENTITIES:-4000}
GRACE=${GRACE:-60}
MAX_TXS=${MAX_TXS:-60000}
OUT=${OUT:-bench/results/curve-$(date -u +%Y%m%dT%H%M%S)}
SVG=${SVG:-docs/performance-e2e.svg}
mkdir -p "$OUT"
dotnet build bench/Dkms.LoadGen/Dkms.LoadGen.csproj -c Release -nologo -v quiet | grep -E " error |rror\(s\)" || true
LG=(dotnet bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen.dll)
first=1
for n in $(seq 1 "$REPEAT"); do
  for r in $RATES; do
    vb=()
    if [ $first -eq 1 ]; then vb=(--verify-bench); first=0; fi
    echo "=== rate $r, run $n ($(date -u +%H:%M:%S))"
    "${LG[@]}" --rate "$r" --duration "$DURATION" --identities "$IDENTITIES" --grace "$GRACE" --max-txs "$MAX_TXS" \
      "${vb[@]}" --out "$OUT/rate-$r-$n.json" ${EXTRA:-} 2> >(grep -v '^t=' >&2) || echo "(run exited with $?: lost transactions or nodes differ)"
  done
done
"${LG[@]}" curve-report --svg "$SVG" --md "$OUT/curve.md" "$OUT"/rate-*.json
echo "results in $OUT; plot $SVG"
