#!/usr/bin/env bash
# Issue 17 item 6 against ./run-testnet.sh itself (opt-in; not part of ./test.sh): after a node was killed with
# kill -9, its node.pid names a process that no longer exists — and the kernel may give that number to any other
# process. The script must then never signal that process: `restart N`, `stop`, `status` and `clean` check that the
# pid is a dkms-node of this testnet's node N (its command line names dkms-node and the node's folder) first.
# Also checks that each node logs to its own size-rotated node.log (--log-file) and stdout goes to node.out.
# Usage: tests/e2e/testnet-pids.sh   (one validator on free ports, not the default 26656/26657 unless P2P_PORT and
# RPC_PORT are given; refuses to run when testnet/ exists, as it ends with ./run-testnet.sh clean).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ -e testnet ] || [ -e genesis/genesis.json ]; then
  echo "testnet/ or genesis/genesis.json exists: this script would clean it; stop and clean that testnet first"
  echo "0 passed, 1 failed"; exit 1
fi

. tests/e2e/ports.sh
# Below the kernel's ephemeral range (32768+) and away from the default testnet ports 26656-26687.
if [ -z "${P2P_PORT:-}" ]; then
  for _ in $(seq 1 50); do
    base=$((21000 + (RANDOM % 500) * 10))
    if free "$base" && free $((base + 1)); then P2P_PORT=$base; RPC_PORT=$((base + 1)); break; fi
  done
fi
export VALIDATORS=1 P2P_PORT RPC_PORT=${RPC_PORT:-$((P2P_PORT + 1))} LOG_MAX_MB=1 LOG_FILES=2

decoy=""
cleanup() {
  [ -n "$decoy" ] && kill "$decoy" 2>/dev/null
  ./run-testnet.sh clean >/dev/null 2>&1
}
trap cleanup EXIT

passed=0; failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
pid_of() { cat testnet/node0/node.pid 2>/dev/null; }
# Alive and not a zombie (a killed node whose parent shell is gone may wait for a reaper that a container lacks).
alive() { kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" 2>/dev/null | grep -q '^Z'; }
answers() { curl -s -m 2 -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"node.status"}' \
  "http://127.0.0.1:$RPC_PORT/" 2>/dev/null | grep -q '"height"'; }
wait_answers() { for _ in $(seq 1 150); do answers && return 0; sleep 0.2; done; return 1; }

./run-testnet.sh >/tmp/testnet-pids.$$.log 2>&1 || { cat /tmp/testnet-pids.$$.log; rm -f /tmp/testnet-pids.$$.log; echo "0 passed, 1 failed"; exit 1; }
rm -f /tmp/testnet-pids.$$.log
wait_answers && ok "node0 runs on ports $P2P_PORT/$RPC_PORT" || bad "node0 did not start"

first=$(pid_of)
if tr '\0' ' ' </proc/"$first"/cmdline 2>/dev/null | grep -q -- "--log-file $PWD/testnet/node0/node.log"; then
  ok "node0 logs to its own rotated node.log (--log-file)"
else
  bad "node0 was not started with --log-file: $(tr '\0' ' ' </proc/"$first"/cmdline 2>/dev/null)"
fi
if [ -s testnet/node0/node.log ] && [ -f testnet/node0/node.out ] && ! grep -q "RPC listening" testnet/node0/node.out; then
  ok "log lines go to node.log, not to stdout (node.out)"
else
  bad "node.log/node.out: $(ls -l testnet/node0/ | tr '\n' ' ')"
fi

# kill -9, then a process that is not ours gets the number (simulated: a recycled pid is what the file then names).
kill -9 "$first"; while alive "$first"; do sleep 0.1; done
sleep 1000 & decoy=$!
echo "$decoy" >testnet/node0/node.pid

if ./run-testnet.sh status | grep -q "node0  stopped"; then ok "status: a pid file naming another process reads as stopped"
else bad "status: $(./run-testnet.sh status)"; fi

./run-testnet.sh restart 0 >/dev/null 2>&1
if alive "$decoy"; then ok "restart 0 did not signal the process that got the dead node's pid"; else bad "restart 0 killed an unrelated process (pid $decoy)"; decoy=""; fi
second=$(pid_of)
if [ -n "$second" ] && [ "$second" != "$decoy" ] && wait_answers; then ok "restart 0 started node0 again (pid $second)"; else bad "node0 not restarted (pid file: $second)"; fi

# The same after a clean stop: the new node is ours and is stopped; a stale file with a foreign pid is left alone.
./run-testnet.sh stop 0 >/dev/null 2>&1
if ! alive "$second"; then ok "stop 0 stopped node0"; else bad "stop 0 left node0 running"; fi
if [ -n "$decoy" ]; then
  echo "$decoy" >testnet/node0/node.pid
  ./run-testnet.sh stop >/dev/null 2>&1
  if alive "$decoy"; then ok "stop did not signal a foreign pid"; else bad "stop killed an unrelated process"; decoy=""; fi
  echo "$decoy" >testnet/node0/node.pid
  ./run-testnet.sh clean >/dev/null 2>&1
  if alive "$decoy"; then ok "clean did not signal a foreign pid"; else bad "clean killed an unrelated process"; decoy=""; fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
