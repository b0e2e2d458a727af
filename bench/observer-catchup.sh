#!/usr/bin/env bash
# Observer catch-up from genesis (docs/performance-e2e.md, "Observer catch-up"), unattended:
#   builds a chain of about TXS transactions on a fresh local testnet (load generator, back-to-back batches for
#   LOAD_SECONDS), then starts one observer from an empty data directory that follows validators 0 and 1, and times
#   how long it takes to reach the validators' height. Prints blocks, transactions, seconds, blocks/s, tx/s and the
#   load average; appends one line to bench/results/observer-catchup.txt. The testnet is cleaned up at the end.
# Environment: TXS (100000), LOAD_SECONDS (60), P2P_PORT (34656), RPC_PORT (34657) — observers use +1000.
set -euo pipefail
cd "$(dirname "$0")/.."
export P2P_PORT=${P2P_PORT:-34656} RPC_PORT=${RPC_PORT:-34657}
TXS=${TXS:-100000}
LOAD_SECONDS=${LOAD_SECONDS:-60}
BIN=src/Dkms.Node/bin/Release/net10.0/dkms-node
LOADGEN=bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen
trap './run-testnet.sh clean >/dev/null 2>&1 || true' EXIT

dotnet build bench/Dkms.LoadGen -c Release -nologo -v quiet >/dev/null
./run-testnet.sh clean >/dev/null 2>&1 || true
OBSERVERS=0 ./run-testnet.sh >/dev/null
nodes=""; for i in 0 1 2 3; do nodes="$nodes${nodes:+,}http://127.0.0.1:$((RPC_PORT + 10 * i))/"; done
"$LOADGEN" run --nodes "$nodes" --genesis genesis/genesis.json --testnet testnet --rate max --max-txs "$TXS" \
  --duration "$LOAD_SECONDS" --grace 60 >/tmp/observer-catchup-load.txt 2>&1 || true

status() { curl -s -m 5 -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"node.status"}' "$1"; }
height() { status "$1" | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
target=$(height "http://127.0.0.1:$RPC_PORT/")
echo "chain: height $target (load generator: $(grep -i 'committed' /tmp/observer-catchup-load.txt | tail -1))"

start=$(date +%s.%N)
./run-testnet.sh observer 0 >/dev/null
obs="http://127.0.0.1:$((RPC_PORT + 1000))/"
while :; do
  h=$(height "$obs" || true)
  [ -n "$h" ] && [ "$h" -ge "$target" ] && break
  sleep 0.2
done
end=$(date +%s.%N)
load=$(cut -d' ' -f1-3 /proc/loadavg)
# Transactions in the chain: the sum over the blocks, asked of the observer itself.
txs=0
for h in $(seq 1 "$target"); do
  n=$(curl -s -m 5 -H 'content-type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"block\",\"params\":{\"height\":$h}}" "$obs" \
    | grep -o '"transactionHashes":\[[^]]*\]' | grep -o '"[0-9a-f]\{64\}"' | wc -l)
  txs=$((txs + n))
done
secs=$(echo "$end - $start" | bc)
line="$(date -u +%FT%TZ) observer catch-up: $target blocks, $txs tx in ${secs}s: $(echo "$target / $secs" | bc) blocks/s, $(echo "$txs / $secs" | bc) tx/s (includes process start); load average $load"
echo "$line"
mkdir -p bench/results && echo "$line" >>bench/results/observer-catchup.txt
