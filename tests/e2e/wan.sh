#!/usr/bin/env bash
# WAN mode of ./run-testnet.sh (issue 20 item 3), opt-in (not part of ./test.sh): a 4-validator testnet whose nodes
# reach each other only through the user-space relay (bench/Dkms.WanRelay) starts, commits, reports the relay in
# `status`, and `stop` / `clean` leave no relay or node process behind.
# Usage: tests/e2e/wan.sh [PROFILE]   (default bench/Dkms.WanRelay/profiles/four-regions.json; free ports below the
# ephemeral range unless P2P_PORT/RPC_PORT are given; refuses to run when testnet/ exists). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
PROFILE=${1:-bench/Dkms.WanRelay/profiles/four-regions.json}
if [ -e testnet ] || [ -e genesis/genesis.json ]; then
  echo "testnet/ or genesis/genesis.json exists: this script would clean it; stop and clean that testnet first"
  echo "0 passed, 1 failed"; exit 1
fi

. tests/e2e/ports.sh
if [ -z "${P2P_PORT:-}" ]; then
  for _ in $(seq 1 50); do
    base=$((21000 + (RANDOM % 400) * 20))
    if free $(for i in 0 1 2 3; do echo $((base + 10 * i)) $((base + 10 * i + 1)) $((base + 10 * i + 5)); done); then P2P_PORT=$base; break; fi
  done
fi
export P2P_PORT RPC_PORT=${RPC_PORT:-$((P2P_PORT + 1))} WAN=$PROFILE LOG_MAX_MB=1 LOG_FILES=2
trap './run-testnet.sh clean >/dev/null 2>&1' EXIT

passed=0; failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
relay_pid() { cat testnet/wan-relay.pid 2>/dev/null; }
# Alive and not a zombie (a stopped process whose parent shell is gone may wait for a reaper that a container lacks).
alive() { kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" 2>/dev/null | grep -q '^Z'; }

# The genesis consensus parameters a WAN series passes (bench/Dkms.LoadGen/run-wan.sh --consensus) reach the genesis.
if GENESIS_CONSENSUS='{"timeoutProposeMs":3000}' ./run-testnet.sh >/tmp/wan.$$.log 2>&1 && grep -q "probe committed" /tmp/wan.$$.log; then
  ok "a WAN testnet ($PROFILE) started and committed a probe"
else
  bad "start: $(tail -5 /tmp/wan.$$.log)"
fi
rm -f /tmp/wan.$$.log

if grep -q "\"127.0.0.1:$((P2P_PORT + 5))\"" genesis/genesis.json && ! grep -q "\"127.0.0.1:$P2P_PORT\"" genesis/genesis.json; then
  ok "the genesis names the relay's addresses, not the nodes' own"
else
  bad "genesis addresses: $(grep -o '"address": "[^"]*"' genesis/genesis.json | tr '\n' ' ')"
fi
[ "$(jq .consensus.timeoutProposeMs genesis/genesis.json)" = 3000 ] && ok "GENESIS_CONSENSUS set the genesis timeouts" \
  || bad "GENESIS_CONSENSUS: $(jq -c .consensus genesis/genesis.json)"
./run-testnet.sh status | grep -q "WAN relay running" && ok "status shows the relay running" || bad "status: $(./run-testnet.sh status)"

relay=$(relay_pid); nodes=$(cat testnet/node*/node.pid 2>/dev/null)
./run-testnet.sh stop >/dev/null 2>&1
# A process whose exit has begun no longer shows its command line (what stop checks) but may answer kill -0 briefly.
for _ in $(seq 1 20); do any=0; for p in $relay $nodes; do alive "$p" && any=1; done; [ $any -eq 0 ] && break; sleep 0.1; done
left=""
for p in $relay $nodes; do alive "$p" && left="$left $p ($(ps -o stat=,args= -p "$p" 2>/dev/null | cut -c1-80))"; done
[ -z "$left" ] && ok "stop ended the relay and every node" || bad "still running after stop:$left"
grep -q "^stopped: .* packets forwarded" testnet/wan-relay.out && ok "the relay reported what it forwarded on SIGTERM" || bad "wan-relay.out: $(tail -2 testnet/wan-relay.out)"

if WAN= ./run-testnet.sh >/dev/null 2>&1 && ./run-testnet.sh status | grep -q "WAN relay running"; then
  ok "a restart without WAN= keeps the testnet's WAN mode (the relay comes back with it)"
else
  bad "restart: $(./run-testnet.sh status)"
fi
relay=$(relay_pid)
./run-testnet.sh clean >/dev/null 2>&1
{ [ -n "$relay" ] && alive "$relay"; } && bad "clean left the relay running" || ok "clean stopped the relay"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
