#!/usr/bin/env bash
# The issue-16 attacks against dkms-node processes started by ./run-testnet.sh (opt-in; not part of ./test.sh).
# Usage: tests/e2e/adversary.sh [MODE...]   (default: malformed far-future poison big-block fuzz flood replay)
#
# Starts a fresh four-validator testnet (genesis block limit lowered to 64 transactions; validators 0 and 1 raise
# their local limit to 1,000, which must change nothing), stops validator 3 and lets `dkms-adversary` take its
# seat with its node key. Each mode runs for ATTACK_SECONDS (default 30) while an honest load of 50 tx/s goes to
# the three honest validators. A mode passes when all three are still running, the load lost nothing and its
# transactions kept committing, and the three agree on the last block. Ends with "N passed, N failed"; the
# testnet is stopped (and its data removed) at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(malformed far-future poison big-block fuzz flood replay)
SECONDS_PER_ATTACK=${ATTACK_SECONDS:-30}
WORK=$(mktemp -d)
trap './run-testnet.sh clean >/dev/null 2>&1; rm -rf "$WORK"' EXIT

dotnet build bench/Dkms.Adversary -c Release -nologo -v quiet >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
dotnet build bench/Dkms.LoadGen -c Release -nologo -v quiet >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
ADVERSARY="$ROOT/bench/Dkms.Adversary/bin/Release/net10.0/dkms-adversary"
LOADGEN=(dotnet "$ROOT/bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen.dll")
passed=0; failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
pid_of() { cat "testnet/node$1/node.pid" 2>/dev/null; }
alive() { local p; p=$(pid_of "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# A fresh testnet whose genesis allows 64 transactions per block, two validators with a larger local setting.
./run-testnet.sh clean >/dev/null 2>&1
./run-testnet.sh >"$WORK/start.log" 2>&1 || { cat "$WORK/start.log"; echo "0 passed, 1 failed"; exit 1; }
./run-testnet.sh stop >/dev/null 2>&1
python3 - <<'EOF'
import json
g = json.load(open("genesis/genesis.json"))
g["consensus"]["maxBlockTransactions"] = 64
json.dump(g, open("genesis/genesis.json", "w"), indent=2)
for i in (0, 1):
    p = f"testnet/node{i}/node.json"
    c = json.load(open(p))
    c["Node"].setdefault("Consensus", {})["MaxBlockTransactions"] = 1000
    json.dump(c, open(p, "w"), indent=2)
EOF
rm -rf testnet/node*/data
./run-testnet.sh >"$WORK/start2.log" 2>&1 || { cat "$WORK/start2.log"; echo "0 passed, 1 failed"; exit 1; }
./run-testnet.sh stop >/dev/null 2>&1 # stops all; validators 0-2 come back below, seat 3 stays free
for i in 0 1 2; do ./run-testnet.sh restart "$i" >/dev/null; done
NODES="http://127.0.0.1:26657/,http://127.0.0.1:26667/,http://127.0.0.1:26677/"
PIDS="$(pid_of 0),$(pid_of 1),$(pid_of 2)"
sleep 3

seed=16
for mode in "${MODES[@]}"; do
  seed=$((seed + 1))
  "$ADVERSARY" --genesis genesis/genesis.json --key testnet/node3/node_key.json --listen 127.0.0.1:26686 \
    --mode "$mode" --seed "$seed" --rate 2000 --messages 10000000 --duration "$SECONDS_PER_ATTACK" >"$WORK/$mode.adversary.log" 2>&1 &
  adversary=$!
  "${LOADGEN[@]}" --nodes "$NODES" --pids "$PIDS" --genesis genesis/genesis.json --rate 50 \
    --duration "$SECONDS_PER_ATTACK" --identities 1000 --label "$mode" >"$WORK/$mode.load.log" 2>&1
  wait "$adversary"; code=$?
  summary=$(tail -1 "$WORK/$mode.load.log")
  down=""; for i in 0 1 2; do alive "$i" || down="$down node$i"; done
  if [ -n "$down" ]; then bad "$mode: stopped:$down"
  elif [ "$code" -ne 0 ]; then bad "$mode: the adversary exited $code ($(tail -1 "$WORK/$mode.adversary.log"))"
  elif ! echo "$summary" | grep -q "lost 0 " || ! echo "$summary" | grep -q "consistent yes"; then bad "$mode: $summary"
  elif echo "$summary" | grep -q "committed 0 tx/s"; then bad "$mode: nothing committed: $summary"
  else ok "$mode: $(echo "$summary" | sed -E 's/.*(committed [0-9]+ tx\/s).*(p99 [0-9]+ ms).*(lost 0).*(consistent yes at [0-9]+).*/\1, \2, \3, \4/')"
  fi
  echo "      adversary: $(grep -m1 -E '^sent|^campaign|total' "$WORK/$mode.adversary.log" | cut -c1-150)"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
