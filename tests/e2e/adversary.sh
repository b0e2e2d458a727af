#!/usr/bin/env bash
# The issue-16 attacks against dkms-node processes started by ./run-testnet.sh (opt-in; not part of ./test.sh).
# Usage: [P2P_PORT=26656 RPC_PORT=26657] tests/e2e/adversary.sh [MODE...]
#   (default: malformed far-future poison big-block fuzz flood replay relay connect-flood)
#
# Starts a fresh four-validator testnet (genesis block limit lowered to 64 transactions; validators 0 and 1 raise
# their local limit to 1,000, which must change nothing) on the ports run-testnet.sh takes from P2P_PORT and
# RPC_PORT (node N at +10·N). Each mode runs for ATTACK_SECONDS (default 30) while an honest load of 50 tx/s goes to
# the honest validators; a mode passes when they are all still running, the load lost nothing and its transactions
# kept committing, and they agree on the last block. Besides:
# - the modes with a validator key (all but relay and connect-flood): validator 3 is stopped and `dkms-adversary`
#   takes its seat with its node key; the load goes to validators 0-2;
# - relay (no key, seat 3 still free): the relay holds seat 3's address, which validators 0-2 dial, and dials the
#   others as well; it also passes only when it got no session and every honest validator kept its two peers;
# - connect-flood (no key, all four validators honest: validator 3 comes back first): the flood runs from
#   127.0.0.2-33 at 2,000 requests/s; validator 1 is restarted during it and must get its three peers back and
#   catch up with the chain while the flood still runs; the load goes to validators 0, 2 and 3 (three of four keep
#   the chain committing while validator 1 is down).
# Ends with "N passed, N failed"; the testnet is stopped (and its data removed) at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(malformed far-future poison big-block fuzz flood replay relay connect-flood)
SECONDS_PER_ATTACK=${ATTACK_SECONDS:-30}
export P2P_PORT=${P2P_PORT:-26656} RPC_PORT=${RPC_PORT:-26657}
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
p2p() { echo "127.0.0.1:$((P2P_PORT + 10 * $1))"; }
rpc_url() { echo "http://127.0.0.1:$((RPC_PORT + 10 * $1))/"; }
status() { curl -s -m 2 -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"node.status"}' "$(rpc_url "$1")" 2>/dev/null; }
height() { status "$1" | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
peers() { status "$1" | grep -o '"peers":\[[^]]*\]' | grep -o '"[0-9a-f]\{64\}"' | wc -l; }
nodes_url() { local list="" i; for i in "$@"; do list="$list,$(rpc_url "$i")"; done; echo "${list#,}"; }
pids_of() { local list="" i; for i in "$@"; do list="$list,$(pid_of "$i")"; done; echo "${list#,}"; }
log_lines() { wc -l <"testnet/node$1/node.log"; }

# Validator 3's seat: free for the modes that take it (and for relay, which holds its address), honest for connect-flood.
seat_free() {
  alive 3 || return 0
  kill -TERM "$(pid_of 3)"; for _ in $(seq 1 100); do alive 3 || break; sleep 0.1; done
  rm -f testnet/node3/node.pid
}
seat_honest() {
  alive 3 || ./run-testnet.sh restart 3 >/dev/null
  for _ in $(seq 1 300); do # it catches up on the blocks it missed, then sees all three others
    local h0 h3; h0=$(height 0); h3=$(height 3)
    [ -n "$h3" ] && [ "$(peers 3)" -ge 3 ] && [ "$h3" -ge "$((${h0:-0} - 1))" ] && return 0
    sleep 0.2
  done
  return 1
}

# The load's summary line, judged: lost 0, consistent, something committed.
judge_load() { # LOGFILE -> 0 and a short line, or 1 and the reason
  local summary; summary=$(tail -1 "$1")
  if ! echo "$summary" | grep -q "lost 0 " || ! echo "$summary" | grep -q "consistent yes"; then echo "$summary"; return 1; fi
  if echo "$summary" | grep -q "committed 0 tx/s"; then echo "nothing committed: $summary"; return 1; fi
  echo "$summary" | sed -E 's/.*(committed [0-9]+ tx\/s).*(p99 [0-9]+ ms).*(lost 0).*(consistent yes at [0-9]+).*/\1, \2, \3, \4/'
}

# What the validators logged about refused connections and handshakes during a mode (lines from FROM on).
refusals() { # FROM0 FROM1 FROM2 ...
  local i=0 n total=0 last="" from
  for from in "$@"; do
    n=$(tail -n +"$((from + 1))" "testnet/node$i/node.log" | grep -c "refused") || true
    total=$((total + n))
    last=$(tail -n +"$((from + 1))" "testnet/node$i/node.log" | grep "refused" | tail -1 | sed -E 's/.*(refused)/\1/' | cut -c1-160)
    [ -n "$last" ] && echo "      node$i logged $n refusal lines; last: $last"
    i=$((i + 1))
  done
  [ "$total" -gt 0 ] || echo "      no validator logged a refusal"
}

# A fresh testnet whose genesis allows 64 transactions per block, two validators with a larger local setting.
./run-testnet.sh clean >/dev/null 2>&1
./run-testnet.sh >"$WORK/start.log" 2>&1 || { cat "$WORK/start.log"; echo "0 passed, 1 failed"; exit 1; }
./run-testnet.sh stop >/dev/null 2>&1
python3 - <<'PY'
import json
g = json.load(open("genesis/genesis.json"))
g["consensus"]["maxBlockTransactions"] = 64
json.dump(g, open("genesis/genesis.json", "w"), indent=2)
for i in (0, 1):
    p = f"testnet/node{i}/node.json"
    c = json.load(open(p))
    c["Node"].setdefault("Consensus", {})["MaxBlockTransactions"] = 1000
    json.dump(c, open(p, "w"), indent=2)
PY
rm -rf testnet/node*/data
./run-testnet.sh >"$WORK/start2.log" 2>&1 || { cat "$WORK/start2.log"; echo "0 passed, 1 failed"; exit 1; }
seat_free # validators 0-2 stay up; seat 3 is free until a mode needs it honest
sleep 3

# A mode with validator 3's key: the adversary in seat 3, the load on validators 0-2.
run_seat_mode() {
  local mode=$1 seed=$2
  seat_free
  "$ADVERSARY" --genesis genesis/genesis.json --key testnet/node3/node_key.json --listen "$(p2p 3)" \
    --mode "$mode" --seed "$seed" --rate 2000 --messages 10000000 --duration "$SECONDS_PER_ATTACK" >"$WORK/$mode.adversary.log" 2>&1 &
  local adversary=$! code down="" i load
  "${LOADGEN[@]}" --nodes "$(nodes_url 0 1 2)" --pids "$(pids_of 0 1 2)" --genesis genesis/genesis.json --rate 50 \
    --duration "$SECONDS_PER_ATTACK" --identities 1000 --label "$mode" >"$WORK/$mode.load.log" 2>&1
  wait "$adversary"; code=$?
  for i in 0 1 2; do alive "$i" || down="$down node$i"; done
  if [ -n "$down" ]; then bad "$mode: stopped:$down"
  elif [ "$code" -ne 0 ]; then bad "$mode: the adversary exited $code ($(tail -1 "$WORK/$mode.adversary.log"))"
  elif ! load=$(judge_load "$WORK/$mode.load.log"); then bad "$mode: $load"
  else ok "$mode: $load"
  fi
  echo "      adversary: $(grep -m1 -E '^sent|^campaign|total' "$WORK/$mode.adversary.log" | cut -c1-150)"
}

# relay: no key; seat 3 free so the relay can sit at its address, which validators 0-2 keep dialing.
run_relay() {
  local seed=$1
  seat_free
  local from=("$(log_lines 0)" "$(log_lines 1)" "$(log_lines 2)")
  "$ADVERSARY" --genesis genesis/genesis.json --mode relay --listen "$(p2p 3)" --seed "$seed" \
    --duration "$SECONDS_PER_ATTACK" >"$WORK/relay.adversary.log" 2>&1 &
  local adversary=$! code down="" few="" i load summary
  "${LOADGEN[@]}" --nodes "$(nodes_url 0 1 2)" --pids "$(pids_of 0 1 2)" --genesis genesis/genesis.json --rate 50 \
    --duration "$SECONDS_PER_ATTACK" --identities 1000 --label relay >"$WORK/relay.load.log" 2>&1
  wait "$adversary"; code=$?
  summary=$(grep -m1 '^relay: sessions' "$WORK/relay.adversary.log")
  for i in 0 1 2; do alive "$i" || down="$down node$i"; done
  for i in 0 1 2; do [ "$(peers "$i")" -ge 2 ] || few="$few node$i"; done
  if [ -n "$down" ]; then bad "relay: stopped:$down"
  elif [ "$code" -ne 0 ]; then bad "relay: the relay exited $code ($(tail -1 "$WORK/relay.adversary.log"))"
  elif ! echo "$summary" | grep -q '^relay: sessions 0,'; then bad "relay: the relay got a session: $summary"
  elif [ -n "$few" ]; then bad "relay: lost a peer:$few"
  elif ! load=$(judge_load "$WORK/relay.load.log"); then bad "relay: $load"
  else ok "relay: $load; no session, every validator kept its peers"
  fi
  echo "      $(echo "$summary" | cut -c1-400)"
  refusals "${from[@]}"
}

# connect-flood: no key; all four validators honest; validator 1 restarts during the flood and must reconnect.
run_connect_flood() {
  local seed=$1 restarted=1
  seat_honest || { bad "connect-flood: validator 3 did not come back and catch up before the flood"; return; }
  local from=("$(log_lines 0)" "$(log_lines 1)" "$(log_lines 2)" "$(log_lines 3)")
  "$ADVERSARY" --genesis genesis/genesis.json --mode connect-flood --seed "$seed" --rate 2000 --sources 32 \
    --duration "$SECONDS_PER_ATTACK" >"$WORK/connect-flood.adversary.log" 2>&1 &
  local adversary=$!
  "${LOADGEN[@]}" --nodes "$(nodes_url 0 2 3)" --pids "$(pids_of 0 2 3)" --genesis genesis/genesis.json --rate 50 \
    --duration "$SECONDS_PER_ATTACK" --identities 1000 --label connect-flood >"$WORK/connect-flood.load.log" 2>&1 &
  local load_pid=$!
  sleep $((SECONDS_PER_ATTACK / 4))
  local restarted_at=$SECONDS back="" flood_on=""
  ./run-testnet.sh restart "$restarted" >/dev/null
  while [ $((SECONDS - restarted_at)) -lt "$SECONDS_PER_ATTACK" ]; do
    local p h0 h; p=$(peers "$restarted"); h0=$(height 0); h=$(height "$restarted")
    if [ -n "$h" ] && [ "${p:-0}" -ge 3 ] && [ "$h" -ge "$((${h0:-0} - 1))" ]; then
      back="$((SECONDS - restarted_at)) s after the restart: 3 peers, height $h (node0 $h0)"
      kill -0 "$adversary" 2>/dev/null && flood_on=yes
      break
    fi
    sleep 0.2
  done
  wait "$load_pid"
  local code down="" i load summary
  wait "$adversary"; code=$?
  summary=$(grep -m1 '^connect-flood: sessions' "$WORK/connect-flood.adversary.log")
  for i in 0 1 2 3; do alive "$i" || down="$down node$i"; done
  if [ -n "$down" ]; then bad "connect-flood: stopped:$down"
  elif [ "$code" -ne 0 ]; then bad "connect-flood: the flood exited $code ($(tail -1 "$WORK/connect-flood.adversary.log"))"
  elif ! echo "$summary" | grep -q '^connect-flood: sessions 0,'; then bad "connect-flood: junk got a session: $summary"
  elif [ -z "$back" ]; then bad "connect-flood: node$restarted did not get its peers back and catch up within ${SECONDS_PER_ATTACK} s of its restart (peers $(peers "$restarted"), height $(height "$restarted"), node0 $(height 0))"
  elif [ -z "$flood_on" ]; then bad "connect-flood: node$restarted reconnected only after the flood ended ($back)"
  elif ! load=$(judge_load "$WORK/connect-flood.load.log"); then bad "connect-flood: $load"
  else ok "connect-flood: $load; node$restarted back during the flood, $back"
  fi
  echo "      $(echo "$summary" | cut -c1-400)"
  refusals "${from[@]}"
}

seed=16
for mode in "${MODES[@]}"; do
  seed=$((seed + 1))
  case "$mode" in
    relay) run_relay "$seed" ;;
    connect-flood) run_connect_flood "$seed" ;;
    *) run_seat_mode "$mode" "$seed" ;;
  esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
