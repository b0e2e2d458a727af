#!/usr/bin/env bash
# Observer catch-up from genesis (docs/performance-e2e.md, "Observer catch-up"), unattended:
#   builds a chain of about TXS transactions on a fresh local testnet (load generator at its maximum rate), then
#   starts one observer from an empty data directory that follows validators 0 and 1, and times how long it takes to
#   reach the validators' height. Prints blocks, transactions, seconds, blocks/s, tx/s and the load average; appends
#   one line to bench/results/observer-catchup.txt. The testnet is cleaned up at the end unless KEEP=1.
# Environment: TXS (100000), LOAD_SECONDS (most seconds the load runs, 3600), RATE (max: full blocks; e.g. 100 for a
#   chain of many small blocks, with LOAD_SECONDS as its length), P2P_PORT (34656), RPC_PORT (34657) —
#   observers use +1000; TESTNET_DIR (/tmp/dkms-observer-catchup: never the testnet of this checkout);
#   KEEP=1 leaves the testnet running; REUSE=1 measures again on the chain a KEEP=1 run left (the observer's data is
#   deleted first), RUNS (1) catch-ups in a row.
set -euo pipefail
cd "$(dirname "$0")/.."
export P2P_PORT=${P2P_PORT:-34656} RPC_PORT=${RPC_PORT:-34657}
export TESTNET_DIR=${TESTNET_DIR:-/tmp/dkms-observer-catchup}
TXS=${TXS:-100000}
LOAD_SECONDS=${LOAD_SECONDS:-3600}
RUNS=${RUNS:-1}
GENESIS="$TESTNET_DIR/genesis/genesis.json"
LOADGEN=bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen
OBS="$TESTNET_DIR/observer0"
obs="http://127.0.0.1:$((RPC_PORT + 1000))/"
[ -n "${KEEP:-}" ] || trap './run-testnet.sh clean >/dev/null 2>&1 || true' EXIT

status() { curl -s -m 5 -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"node.status"}' "$1" || true; }
height() { status "$1" | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
# Transactions a node executed since it started (for an observer started from an empty folder: the whole chain).
executed() { curl -s -m 5 "${1}metrics" | sed -n 's/^dkms_transactions_committed_total \([0-9]*\).*/\1/p'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

if [ -z "${REUSE:-}" ]; then
  dotnet build bench/Dkms.LoadGen -c Release -nologo -v quiet >/dev/null
  ./run-testnet.sh clean >/dev/null 2>&1 || true
  OBSERVERS=0 ./run-testnet.sh >/dev/null
  nodes=""; for i in 0 1 2 3; do nodes="$nodes${nodes:+,}http://127.0.0.1:$((RPC_PORT + 10 * i))/"; done
  echo "$(date -u +%T) building a chain of $TXS transactions (load average $(loadavg))"
  "$LOADGEN" run --nodes "$nodes" --genesis "$GENESIS" --testnet "$TESTNET_DIR" --rate "${RATE:-max}" --max-txs "$TXS" \
    --duration "$LOAD_SECONDS" --grace 120 >"$TESTNET_DIR/load.txt" 2>&1 || true
  echo "$(date -u +%T) chain built: $(grep -i 'committed' "$TESTNET_DIR/load.txt" | tail -1)"
fi

target=$(height "http://127.0.0.1:$RPC_PORT/")
[ -n "$target" ] || { echo "validator 0 does not answer at http://127.0.0.1:$RPC_PORT/"; exit 1; }
for run in $(seq 1 "$RUNS"); do
  ./run-testnet.sh stop-observer 0 >/dev/null 2>&1 || true
  rm -rf "$OBS"
  load_before=$(loadavg)
  start=$(date +%s.%N)
  ./run-testnet.sh observer 0 >/dev/null
  while :; do
    h=$(height "$obs")
    [ -n "$h" ] && [ "$h" -ge "$target" ] && break
    sleep 0.2
  done
  end=$(date +%s.%N)
  load_after=$(loadavg)
  txs=$(executed "$obs")
  wall=$(echo "$end - $start" | bc)
  # From the observer's first committed block to the target's, by its log's timestamps (process start excluded).
  # Also a least-squares fit of the time between two commits against the block's transactions: the fixed cost per
  # block (request, serving, transfer, certificate, synced write) and the cost per transaction (execution).
  read -r first last fit <<<"$(python3 - "$OBS/node.log" "$target" <<'PY'
import re, sys
from datetime import datetime
first = last = prev = None
points = []
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(\S+ \S+) \S+ .*Committed block (\d+): (\d+) transactions", line)
    if not m: continue
    t = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    if first is None: first = t
    if last is None:
        if prev is not None: points.append((int(m.group(3)), t - prev))
        if int(m.group(2)) >= int(sys.argv[2]): last = t
    prev = t
n = len(points)
fit = "n/a"
if n > 2:
    mx = sum(x for x, _ in points) / n; my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx > 0:
        b = sum((x - mx) * (y - my) for x, y in points) / sxx; a = my - b * mx
        fit = f"per-block-{a * 1000:.1f}ms+per-tx-{b * 1e6:.0f}us(mean-{mx:.0f}-tx/block)"
print(first, last, fit)
PY
)"
  secs=$(echo "$last - $first" | bc)
  line="$(date -u +%FT%TZ) observer catch-up: $target blocks, $txs tx; first to last block ${secs}s: $(echo "scale=1; $target / $secs" | bc) blocks/s, $(echo "$txs / $secs" | bc) tx/s; with process start ${wall}s: $(echo "$txs / $wall" | bc) tx/s; time between commits ≈ $fit; load average before $load_before, after $load_after ($(nproc) cores)"
  echo "$line"
  mkdir -p bench/results && echo "$line" >>bench/results/observer-catchup.txt
done
