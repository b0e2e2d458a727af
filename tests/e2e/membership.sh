#!/usr/bin/env bash
# Issue 16 item 6 against dkms-node processes started by ./run-testnet.sh (opt-in; not part of ./test.sh):
# a fifth validator is added to a running four-validator testnet with `dkms-node validators propose|sign|submit`,
# syncs and votes; then validator 3 is removed and is refused from then on, while the other four keep committing.
# Usage: tests/e2e/membership.sh   (follows P2P_PORT / RPC_PORT like run-testnet.sh; ports step by 10 per node)
#
# Starts a fresh testnet (./run-testnet.sh clean; ./run-testnet.sh) with an honest load of 20 tx/s on validators
# 0-2 for LOAD_SECONDS (default 150), creates node 4 outside the genesis (testnet/node4: `dkms-node init`, its own
# node.json with the shared genesis and a P2PListen), and checks, one line each: the change commits and every node
# sees five validators; node 4 catches up and its precommits are in the certificates — with node 3 stopped the
# chain (quorum 4 of 5) commits only with node 4's vote; node 3's removal closes its sessions and a restarted
# node 3 is refused; the four agree on the blocks; the load lost nothing. Ends with "N passed, N failed"; the
# testnet is stopped and its data removed at the end (its logs are kept in /tmp when a check failed or KEEP_LOGS=1).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export P2P_PORT=${P2P_PORT:-26656} RPC_PORT=${RPC_PORT:-26657}
LOAD_SECONDS=${LOAD_SECONDS:-150}
BIN="$ROOT/src/Dkms.Node/bin/Release/net10.0/dkms-node"
GENESIS="$ROOT/genesis/genesis.json"
WORK=$(mktemp -d)
load=""
cleanup() {
  if [ -n "$load" ] && kill -0 "$load" 2>/dev/null; then kill "$load" 2>/dev/null; wait "$load" 2>/dev/null; fi
  if { [ "${failed:-0}" -gt 0 ] || [ -n "${KEEP_LOGS:-}" ]; } && ls testnet/node*/node.log >/dev/null 2>&1; then
    local keep; keep=$(mktemp -d /tmp/membership-logs.XXXXXX)
    for f in testnet/node*/node.log; do cp "$f" "$keep/$(basename "$(dirname "$f")").log"; done
    cp "$WORK"/*.log "$keep/" 2>/dev/null; echo "logs kept in $keep"
  fi
  ./run-testnet.sh clean >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

passed=0; failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

url() { echo "http://127.0.0.1:$((RPC_PORT + 10 * $1))/"; }
rpc() { # rpc N METHOD [PARAMS-JSON] -> the JSON answer, or nothing
  curl -s -m 3 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-null}}" "$(url "$1")" 2>/dev/null || true
}
# py EXPR reads the JSON answer on stdin as r (its "result") and prints EXPR; prints nothing when there is no result.
py() { python3 -c "
import json, sys, base64
try: r = json.load(sys.stdin)['result']
except Exception: sys.exit(0)
print($1)" 2>/dev/null; }
height() { rpc "$1" node.status | py 'r["height"]'; }
peers() { rpc "$1" node.status | py 'len(r["peers"])'; }
set_size() { rpc "$1" node.validators | py 'len(r["validators"])'; }
block_hash() { rpc "$1" block.get "{\"height\":$2}" | py 'r["hash"]'; }
# signed_by N H KEY: "yes" when the commit certificate node N stores for block H carries KEY's precommit (the
# certificate is [height, round, hash, [[key (bin 32), signature], ...]] in MessagePack; a key is "c4 20" + 32 bytes).
signed_by() { rpc "$1" block.get "{\"height\":$2}" | py "'yes' if bytes.fromhex('c420' + '$3') in base64.b64decode(r['certificate']) else 'no'"; }
alive() { local p; p=$(cat "testnet/node$1/node.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
key_of() { "$BIN" show-key --node-key "testnet/node$1/node_key.json"; }
probe() { "$BIN" probe --rpc "$(url "$1")" --genesis "$GENESIS" --timeout-ms "${2:-20000}" 2>&1; }
# wait_until SECONDS COMMAND...: polls COMMAND every half second until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.5; done
}
min_height() { local m="" h; for i in "$@"; do h=$(height "$i"); h=${h:-0}; if [ -z "$m" ] || [ "$h" -lt "$m" ]; then m=$h; fi; done; echo "$m"; }
at_least() { local h; h=$(height "$1"); [ "${h:-0}" -ge "$2" ]; }
all_see() { local n=$1 i; shift; for i in "$@"; do [ "$(set_size "$i")" = "$n" ] || return 1; done; }
peers_are() { [ "$(peers "$1")" = "$2" ]; }
synced() { local h; h=$(height 0); at_least "$1" "${h:-1}"; }
answers() { [ -n "$(height "$1")" ]; }

# 1. A fresh four-validator testnet with an honest load on validators 0-2.
dotnet build bench/Dkms.LoadGen -c Release -nologo -v quiet >/dev/null || { bad "build bench/Dkms.LoadGen"; finish; }
./run-testnet.sh clean >/dev/null 2>&1
if ./run-testnet.sh >"$WORK/start.log" 2>&1 && grep -q "probe committed" "$WORK/start.log"; then
  ok "testnet of 4 validators up on p2p $P2P_PORT / rpc $RPC_PORT ($(grep -m1 'probe committed' "$WORK/start.log" | sed 's/.* at height/probe at height/; s/ (index.*//'))"
else
  bad "testnet of 4 validators up"; tail -5 "$WORK/start.log" | sed 's/^/      /'; finish
fi
KEY=(); for i in 0 1 2 3; do KEY[i]=$(key_of "$i"); done
dotnet "$ROOT/bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen.dll" --nodes "$(url 0),$(url 1),$(url 2)" \
  --pids "$(cat testnet/node0/node.pid),$(cat testnet/node1/node.pid),$(cat testnet/node2/node.pid)" --genesis "$GENESIS" \
  --rate 20 --duration "$LOAD_SECONDS" --identities 1000 --label membership >"$WORK/load.log" 2>"$WORK/load.err" &
load=$!

# 2. Node 4, outside the genesis: its own key, data directory, ports and listen address; started before it is a validator.
mkdir -p testnet/node4
KEY[4]=$("$BIN" init --data-dir testnet/node4 | sed -n 's/^public key: //p')
ADDR4="127.0.0.1:$((P2P_PORT + 40))"
python3 - "$ROOT" "$ADDR4" "127.0.0.1:$((RPC_PORT + 40))" <<'EOF'
import json, sys
root, p2p, rpc = sys.argv[1:]
json.dump({"Node": {"DataDir": f"{root}/testnet/node4/data", "GenesisFile": f"{root}/genesis/genesis.json",
                    "NodeKeyFile": f"{root}/testnet/node4/node_key.json", "P2PListen": p2p, "RpcListen": rpc},
           "Logging": {"LogLevel": {"Default": "Information"}}}, open(f"{root}/testnet/node4/node.json", "w"), indent=2)
EOF
./run-testnet.sh restart 4 >/dev/null
if wait_until 20 answers 4 && sleep 3 && [ "$(peers 4)" = 0 ] && [ "$(height 4)" = 0 ] &&
   grep -q "is not in the validator set" testnet/node4/node.log; then
  ok "node 4 (${KEY[4]:0:12}…, p2p $ADDR4) runs and is refused while outside the set: 0 peers, height 0"
else
  bad "node 4 runs and is refused while outside the set (peers $(peers 4), height $(height 4))"
fi

# 3. Its addition: proposed at node 0, signed by validators 0-3 in turn (the file passed between them), submitted.
if "$BIN" validators propose --rpc "$(url 0)" --output "$WORK/add.json" --add "${KEY[4]}=$ADDR4" >"$WORK/propose-add.log" 2>&1 &&
   grep -q "${KEY[4]}  $ADDR4  power 1  added" "$WORK/propose-add.log"; then
  ok "validators propose --add node 4"
else
  bad "validators propose --add node 4"; sed 's/^/      /' "$WORK/propose-add.log"
fi
signed=0
for i in 0 1 2 3; do
  "$BIN" validators sign "$WORK/add.json" --node-key "testnet/node$i/node_key.json" --rpc "$(url "$i")" >"$WORK/sign-add-$i.log" 2>&1 &&
    grep -q "$((i + 1)) signature(s) so far" "$WORK/sign-add-$i.log" && signed=$((signed + 1))
done
[ "$signed" = 4 ] && ok "validators sign by nodes 0-3 in turn (4 signatures)" || { bad "validators sign by nodes 0-3 ($signed signed)"; cat "$WORK"/sign-add-*.log | sed 's/^/      /'; }
if "$BIN" validators submit "$WORK/add.json" --rpc "$(url 1)" >"$WORK/submit-add.log" 2>&1; then
  ADDED=$(sed -n 's/.*committed at height \([0-9]*\).*/\1/p' "$WORK/submit-add.log")
  ok "validators submit: the change committed at height $ADDED"
else
  ADDED=0; bad "validators submit: $(cat "$WORK/submit-add.log")"
fi
if wait_until 30 all_see 5 0 1 2 3; then ok "node.validators on nodes 0-3 shows five validators"; else bad "node.validators on nodes 0-3 shows five (sizes: $(for i in 0 1 2 3; do echo -n "$(set_size "$i") "; done))"; fi

# 4. Node 4 is dialled, catches up and votes.
if wait_until 60 synced 4 && wait_until 20 peers_are 4 4; then
  ok "node 4 synced (height $(height 4), node 0 at $(height 0)) and is connected to the 4 others; it sees $(set_size 4) validators"
else
  bad "node 4 synced and connected (height $(height 4) vs $(height 0), peers $(peers 4))"
fi
for i in 0 1 2 3; do probe "$i" >/dev/null; done # blocks made while all five vote
first=$((ADDED + 2)); last=$(height 0); voted=""
for h in $(seq "$first" "${last:-0}"); do [ "$(signed_by 0 "$h" "${KEY[4]}")" = yes ] && { voted=$h; break; }; done
[ -n "$voted" ] && ok "node 4's precommit is in the certificate of block $voted (node 0's copy; the set of five is in force from $first)" \
  || bad "node 4's precommit in a certificate of blocks $first..$last on node 0"

./run-testnet.sh stop 3 >/dev/null
# Blocks from two past the highest tip at the stop were decided without node 3: a certificate needs 4 of nodes 0, 1, 2, 4.
from=$(( $(for i in 0 1 2 4; do height "$i"; done | sort -n | tail -1) + 2 ))
out=$(probe 1; probe 2)
committed=$(echo "$out" | sed -n 's/.* at height \([0-9]*\).*/\1/p' | tail -1)
if [ -n "$committed" ] && [ "$committed" -ge "$from" ]; then
  all=yes; for h in $(seq "$from" "$committed"); do [ "$(signed_by 2 "$h" "${KEY[4]}")" = yes ] || all="no (block $h)"; done
  [ "$all" = yes ] && ok "node 3 stopped: the chain (quorum 4 of 5) still commits — blocks $from..$committed, each certified with node 4's precommit" \
    || bad "node 3 stopped: blocks $from..$committed certified with node 4's precommit: $all"
else
  bad "node 3 stopped: the chain still commits: $out"
fi
./run-testnet.sh restart 3 >/dev/null
if wait_until 60 synced 3 && wait_until 20 peers_are 3 4; then ok "node 3 restarted, caught up (height $(height 3)) and connected to the 4 others"; else bad "node 3 restarted and caught up (height $(height 3) vs $(height 0), peers $(peers 3))"; fi

# 5. Node 3's removal, signed by nodes 0, 1, 2 and 4, while it runs.
"$BIN" validators propose --rpc "$(url 4)" --output "$WORK/remove.json" --remove "${KEY[3]}" >"$WORK/propose-remove.log" 2>&1 &&
  grep -q "${KEY[3]} .* removed" "$WORK/propose-remove.log" && ok "validators propose --remove node 3 (at node 4)" || { bad "validators propose --remove node 3"; sed 's/^/      /' "$WORK/propose-remove.log"; }
signed=0
for i in 0 1 2 4; do
  "$BIN" validators sign "$WORK/remove.json" --node-key "testnet/node$i/node_key.json" --rpc "$(url "$i")" >"$WORK/sign-remove-$i.log" 2>&1 && signed=$((signed + 1))
done
[ "$signed" = 4 ] && ok "validators sign by nodes 0, 1, 2, 4 (4 of 5: more than 2/3)" || { bad "validators sign by nodes 0, 1, 2, 4 ($signed signed)"; cat "$WORK"/sign-remove-*.log | sed 's/^/      /'; }
if "$BIN" validators submit "$WORK/remove.json" --rpc "$(url 4)" >"$WORK/submit-remove.log" 2>&1; then
  REMOVED=$(sed -n 's/.*committed at height \([0-9]*\).*/\1/p' "$WORK/submit-remove.log")
  ok "validators submit (at node 4): the removal committed at height $REMOVED"
else
  REMOVED=0; bad "validators submit of the removal: $(cat "$WORK/submit-remove.log")"
fi
if wait_until 30 all_see 4 0 1 2 4; then ok "node.validators on nodes 0, 1, 2, 4 shows four validators"; else bad "node.validators on nodes 0, 1, 2, 4 shows four"; fi

for i in 0 1 2 4; do probe "$i" >/dev/null; done
if wait_until 30 peers_are 3 0; then ok "node 3's sessions are closed: it has 0 peers"; else bad "node 3's sessions are closed (it has $(peers 3) peers)"; fi
closed=0; for i in 0 1 2 4; do grep -q "peer ${KEY[3]} at .* left the peer set" "testnet/node$i/node.log" && closed=$((closed + 1)); done
[ "$closed" = 4 ] && ok "nodes 0, 1, 2, 4 each logged: node 3 left the peer set, session closed" || bad "nodes logging that node 3 left the peer set: $closed of 4"

./run-testnet.sh restart 3 >/dev/null
for i in 0 1 2 4; do probe "$i" >/dev/null; done
sleep 5
stuck=$(height 3); others=$(min_height 0 1 2 4)
if [ "$(peers 3)" = 0 ] && [ -n "$stuck" ] && [ "$stuck" -le $((REMOVED + 1)) ] && [ "$others" -gt $((stuck + 2)) ]; then
  ok "node 3 restarted: 0 peers, stays at height $stuck while the others are at $others"
else
  bad "node 3 restarted stays cut off (peers $(peers 3), height ${stuck:-?}, removal at $REMOVED, others at $others)"
fi
refused=0; for i in 0 1 2 4; do grep -q "refused .*key is not a validator.*${KEY[3]}" "testnet/node$i/node.log" && refused=$((refused + 1)); done
[ "$refused" -gt 0 ] && ok "node 3's handshakes are refused (\"key is not a validator\" in the logs of $refused of the 4)" || bad "node 3's handshakes are refused: no refusal logged"

# The four keep committing and agree.
commits=0; for i in 0 1 2 4; do probe "$i" | grep -q "probe committed" && commits=$((commits + 1)); done
[ "$commits" = 4 ] && ok "the four commit a probe through each of nodes 0, 1, 2, 4" || bad "the four commit probes ($commits of 4)"
common=$(min_height 0 1 2 4)
hashes=$(for i in 0 1 2 4; do block_hash "$i" "$common"; done | sort -u)
[ "$(echo "$hashes" | grep -c .)" = 1 ] && ok "nodes 0, 1, 2, 4 agree on block $common (${hashes:0:16}…)" || bad "nodes 0, 1, 2, 4 agree on block $common: $(echo "$hashes" | tr '\n' ' ')"
faults=""; for i in 0 1 2 3 4; do
  n=$(curl -s -m 3 "$(url "$i")health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["consensusFaults"])' 2>/dev/null)
  errors=$(grep -cE '^[0-9-]+ [0-9:.]+ (fail|crit):' "testnet/node$i/node.log")
  [ "${n:-?}" = 0 ] && [ "$errors" = 0 ] || faults="$faults node$i: ${n:-?} contained faults, $errors error lines;"
done
[ -z "$faults" ] && ok "no node logged an error or contained a consensus fault" || bad "errors or faults:$faults"
down=""; for i in 0 1 2 3 4; do alive "$i" || down="$down node$i"; done
[ -z "$down" ] && ok "every node process still runs" || bad "stopped:$down"

# The honest load through both changes.
wait "$load"; load=""
summary=$(tail -1 "$WORK/load.log")
if echo "$summary" | grep -q "lost 0 " && echo "$summary" | grep -q "consistent yes" && ! echo "$summary" | grep -q "committed 0 tx/s"; then
  ok "load: $(echo "$summary" | sed -E 's/.*(committed [0-9]+ tx\/s).*(lost 0).*(consistent yes at [0-9]+).*/\1, \2, \3/')"
else
  bad "load: ${summary:-no summary}"; tail -3 "$WORK/load.err" | sed 's/^/      /'
fi

finish
