#!/usr/bin/env bash
# The transfer-pace series (issue 20 item 3; docs/performance-e2e.md "WAN: a proposal bounded by what its links carry"),
# unattended, about 8-10 minutes on a quiet machine:
#   1. four-regions at 100 and 1,000 tx/s          (bench/Dkms.LoadGen/run-wan.sh)
#   2. uniform-50ms and loopback at 1,000 tx/s      (regression checks, run-wan.sh)
#   3. four-regions with a 2/2 partition that heals: 100 tx/s across it; every node's height polled every 0.5 s to
#      time the stall and the resumption (OUT/partition.json, OUT/partition-heights.tsv).
#   bench/Dkms.LoadGen/run-wan-pace.sh [--out DIR] [--no-build] [--partition-at S (45)] [--partition-for S (20)]
# Environment: P2P_PORT (36656), RPC_PORT (36657). The testnet lives in ./testnet as run-wan.sh's does (the script refuses
# to start over one it did not make) and is removed at the end. Load averages are recorded next to every figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT="bench/Dkms.LoadGen/results/wan-pace-$(date -u +%Y%m%d-%H%M)"
BUILD=()
AT=45
FOR=20
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --no-build) BUILD=(--no-build); shift ;;
    --partition-at) AT=$2; shift 2 ;;
    --partition-for) FOR=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1"; exit 1 ;;
  esac
done
export P2P_PORT=${P2P_PORT:-36656} RPC_PORT=${RPC_PORT:-36657}
mkdir -p "$OUT"
start=$(date +%s)
echo "series start $(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/series.log"

bench/Dkms.LoadGen/run-wan.sh "${BUILD[@]}" --rates "100 1000" --out "$OUT" four-regions | tee -a "$OUT/series.log"
bench/Dkms.LoadGen/run-wan.sh --no-build --rates "1000" --out "$OUT" uniform-50ms loopback | tee -a "$OUT/series.log"

# 3. The partition: the profile four-regions-partition.json with the cut moved to AT s after the relay starts (late
# enough for the testnet to be up and committing first).
MARK="$ROOT/testnet/.made-by-run-wan"
if [ -d "$ROOT/testnet" ] && [ ! -f "$MARK" ]; then echo "./testnet exists and was not made by this script"; exit 1; fi
PROFILE="$OUT/partition-profile.json"
sed -e '/^\/\//d' bench/Dkms.WanRelay/profiles/four-regions-partition.json \
  | python3 -c "import json,sys; p=json.load(sys.stdin); p['partitions'][0]['atSeconds']=$AT; p['partitions'][0]['forSeconds']=$FOR; json.dump(p,sys.stdout,indent=1)" >"$PROFILE"
POLL_PID=""
cleanup() {
  [ -z "$POLL_PID" ] || kill "$POLL_PID" 2>/dev/null || true
  ./run-testnet.sh clean >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
mkdir -p "$ROOT/testnet"; touch "$MARK"
echo "=== partition at ${AT} s for ${FOR} s ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$OUT/series.log"
lb=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(WAN=$PROFILE NO_BUILD=1 ./run-testnet.sh start)
touch "$MARK"
echo "$started" | grep -E "WAN relay|ready|timed out" | tee -a "$OUT/series.log" || true
relay=$(echo "$started" | sed -n 's/.*WAN relay started (pid \([0-9]*\).*/\1/p')
[ -n "$relay" ] || { echo "no relay pid in the start output"; exit 1; }
relay_start=$(( $(date +%s) - $(ps -o etimes= -p "$relay" | tr -d ' ') ))
height() { curl -s -m 1 -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"node.status"}' \
  "http://127.0.0.1:$((RPC_PORT + 10 * $1))/" 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
(
  end=$((relay_start + AT + FOR + 60))
  while [ "$(date +%s)" -lt "$end" ]; do
    # The four asked at once: a busy node's slow answer does not delay the others' (one poll every ≈ 0.5-1.5 s).
    t=$(date +%s.%N)
    for i in 0 1 2 3; do height "$i" >"$OUT/.poll$i" & done
    wait
    echo "$t $(cat "$OUT/.poll0") $(cat "$OUT/.poll1") $(cat "$OUT/.poll2") $(cat "$OUT/.poll3")"
    sleep 0.5
  done
) >"$OUT/partition-heights.tsv" &
POLL_PID=$!
# Load across the cut: small set-up, then 100 tx/s until well after the heal.
run_for=$(( relay_start + AT + FOR + 30 - $(date +%s) ))
[ "$run_for" -ge 20 ] || run_for=20
timeout -s INT -k 20 $((run_for + 120)) dotnet bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen.dll --rate 100 \
  --duration "$run_for" --grace 30 --identities 200 --label four-regions-partition-100 --out "$OUT/four-regions-partition-100.json" \
  2> >(grep -v '^t=' >&2) | tail -n 1 | tee -a "$OUT/series.log" || echo "    (load generator exited with $?)" | tee -a "$OUT/series.log"
wait "$POLL_PID" || true
POLL_PID=""
rm -f "$OUT"/.poll?
la=$(cut -d' ' -f1-3 /proc/loadavg)
./run-testnet.sh stop >/dev/null 2>&1 || true
[ ! -f testnet/wan-relay.out ] || cp testnet/wan-relay.out "$OUT/four-regions-partition.relay.out"
python3 bench/Dkms.LoadGen/wan-partition.py "$OUT" "$relay_start" "$AT" "$FOR" "$lb" "$la" | tee -a "$OUT/series.log"
echo "series took $(( $(date +%s) - start )) s, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/series.log"
