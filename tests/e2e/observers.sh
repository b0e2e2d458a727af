#!/usr/bin/env bash
# Issue 20 §1 against processes started by `OBSERVERS=2 ./run-testnet.sh` (opt-in; not part of ./test.sh): four
# validators and two observers (observer 0 follows validators 0 and 1 and the committed set, observer 1 only observer 0) on ports chosen
# now, in a folder of their own (TESTNET_DIR), so a testnet of this checkout is never touched. Checks, one line each:
# both observers reach the validators' height with the same blocks; node.status and `./run-testnet.sh status` say
# which node is an observer; `dkms resolve --verify` against each observer verifies the proof against the genesis;
# tx.submit on an observer is refused (-32020) and `dkms identity create` through it fails; `./run-testnet.sh stop`
# and then `clean` leave none of the six processes running.
# Usage: tests/e2e/observers.sh   (NO_BUILD=1 uses the binaries as built; KEEP_LOGS=1 keeps the logs in /tmp)
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/e2e/ports.sh

WORK=$(mktemp -d /tmp/dkms-observers-e2e.XXXXXX)
export TESTNET_DIR="$WORK/testnet"
GENESIS="$TESTNET_DIR/genesis/genesis.json"
DKMS="$ROOT/src/Dkms.Cli/bin/Release/net10.0/dkms"

# Validators take P2P_PORT + 10 i (UDP) and RPC_PORT + 10 i (TCP), observers the same + 1000: a base below the
# kernel's ephemeral range (32768+) and the default testnet ports 26656-26687 whose twelve ports are all free now.
for _ in $(seq 1 100); do
  base=$((21000 + (RANDOM % 400) * 10))
  ports=""; for i in 0 1 2 3; do ports="$ports $((base + 10 * i)) $((base + 1 + 10 * i))"; done
  for j in 0 1; do ports="$ports $((base + 1000 + 10 * j)) $((base + 1001 + 10 * j))"; done
  # shellcheck disable=SC2086
  if free $ports; then export P2P_PORT=$base RPC_PORT=$((base + 1)); break; fi
done
[ -n "${P2P_PORT:-}" ] || { echo "no free ports"; echo "0 passed, 1 failed"; exit 1; }

export HOME="$WORK/home" DKMS_PASSPHRASE="observer e2e passphrase"
mkdir -p "$HOME"
unset DKMS_WALLET DKMS_GENESIS DKMS_CONFIG DKMS_VERIFIED_HEIGHTS DKMS_TRUSTED_VALIDATORS DKMS_NODE

passed=0; failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
cleanup() {
  if { [ "$failed" -gt 0 ] || [ -n "${KEEP_LOGS:-}" ]; } && [ -d "$TESTNET_DIR" ]; then
    local keep; keep=$(mktemp -d /tmp/observers-logs.XXXXXX)
    for f in "$TESTNET_DIR"/*/node.log; do [ -f "$f" ] && cp "$f" "$keep/$(basename "$(dirname "$f")").log"; done
    cp "$WORK"/*.log "$keep/" 2>/dev/null; echo "logs kept in $keep"
  fi
  ./run-testnet.sh clean >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

validator() { echo "http://127.0.0.1:$((RPC_PORT + 10 * $1))/"; }
observer() { echo "http://127.0.0.1:$((RPC_PORT + 1000 + 10 * $1))/"; }
call() { # call URL METHOD [PARAMS-JSON] -> the JSON answer, or nothing
  curl -s -m 3 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-null}}" "$1" 2>/dev/null || true
}
# py EXPR reads the JSON answer on stdin as a (the whole answer) and r (its result) and prints EXPR.
py() { python3 -c "
import json, sys
try:
    a = json.load(sys.stdin); r = a.get('result')
except Exception: sys.exit(0)
print($1)" 2>/dev/null; }
height() { call "$1" node.status | py 'r["height"]'; }
role() { call "$1" node.status | py 'r.get("role")'; }
block_hash() { call "$1" block "{\"height\":$2}" | py 'r["hash"]'; }
at_least() { local h; h=$(height "$1"); [ "${h:-0}" -ge "$2" ]; }
wait_until() { # wait_until SECONDS COMMAND...: polls COMMAND every half second until it succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.5; done
}
# Every node process this testnet started (validators and observers), from their pid files.
pids() { cat "$TESTNET_DIR"/*/node.pid 2>/dev/null; }
# Alive and not a zombie (a process whose parent shell is gone may wait for a reaper that a container lacks).
alive() { kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" 2>/dev/null | grep -q '^Z'; }
none_alive() { local p; for p in "$@"; do alive "$p" && return 1; done; return 0; }

# 1. Four validators and two observers.
if [ -z "${NO_BUILD:-}" ] || [ ! -x "$DKMS" ]; then
  dotnet build src/Dkms.Cli -c Release -nologo -v quiet >"$WORK/build-cli.log" 2>&1 || { bad "build src/Dkms.Cli"; finish; }
fi
if OBSERVERS=2 ./run-testnet.sh >"$WORK/start.log" 2>&1 && grep -q "probe committed" "$WORK/start.log" \
  && grep -q "^observer1 " "$WORK/start.log"; then
  ok "OBSERVERS=2 ./run-testnet.sh: 4 validators and 2 observers in $TESTNET_DIR (p2p $P2P_PORT, rpc $RPC_PORT)"
else
  bad "OBSERVERS=2 ./run-testnet.sh"; tail -8 "$WORK/start.log" | sed 's/^/      /'; finish
fi
started=$(pids | tr '\n' ' ')
[ "$(echo "$started" | wc -w)" -eq 6 ] && ok "six node processes ($started)" || bad "expected six pid files, found: $started"

# 2. Something to read: an identity created through validator 0.
"$DKMS" --genesis "$GENESIS" --node "$(validator 0)" wallet create >"$WORK/wallet.log" 2>&1
"$DKMS" --genesis "$GENESIS" --node "$(validator 0)" identity create --label alice >"$WORK/identity.log" 2>&1
did=$(grep -o 'did:dkms:[1-9A-HJ-NP-Za-km-z]\+' "$WORK/identity.log" | head -n 1)
[ -n "$did" ] && ok "identity created through validator 0: $did" || { bad "identity create"; sed 's/^/      /' "$WORK/identity.log"; finish; }

# 3. Both observers reach the validators' height, with the validators' blocks.
target=$(height "$(validator 0)")
for j in 0 1; do
  if wait_until 60 at_least "$(observer "$j")" "${target:-1}"; then
    if [ "$(block_hash "$(observer "$j")" "$target")" = "$(block_hash "$(validator 2)" "$target")" ]; then
      ok "observer $j reached height $target with validator 2's block"
    else
      bad "observer $j's block $target differs from validator 2's"
    fi
  else
    bad "observer $j stayed at height $(height "$(observer "$j")"), validators at $target"
  fi
done

# 3b. Whom each observer dials: observer 0 its two configured validators and the other two of the committed set
# (Observer:FollowValidators), observer 1 (--peers-only) observer 0 alone.
peers_of() { call "$1" node.status | py 'len(r["peers"])'; }
if wait_until 30 test "$(peers_of "$(observer 0)")" = 4; then ok "observer 0 holds sessions with all 4 validators (2 configured, 2 from the validator set)"
else bad "observer 0 has $(peers_of "$(observer 0)") peers, expected the 4 validators"; fi
[ "$(peers_of "$(observer 1)")" = 1 ] && ok "observer 1 (--peers-only) holds one session: observer 0" || bad "observer 1 has $(peers_of "$(observer 1)") peers, expected 1"

# 4. The role each node reports.
roles="$(role "$(validator 0)") $(role "$(validator 3)") $(role "$(observer 0)") $(role "$(observer 1)")"
[ "$roles" = "validator validator observer observer" ] && ok "node.status role: $roles" || bad "node.status roles: $roles"
./run-testnet.sh status >"$WORK/status.log" 2>&1
if grep -q "^observer1  running .* role observer " "$WORK/status.log" && grep -q "^node0  running .* role validator " "$WORK/status.log"; then
  ok "./run-testnet.sh status shows each node's role"
else
  bad "./run-testnet.sh status:"; sed 's/^/      /' "$WORK/status.log"
fi

# 5. Verified reads from each observer: the proof checks against the genesis validators.
for j in 0 1; do
  if "$DKMS" --genesis "$GENESIS" --node "$(observer "$j")" resolve "$did" --verify >"$WORK/resolve$j.log" 2>&1 \
    && grep -q "verified against" "$WORK/resolve$j.log"; then
    ok "observer $j: resolve --verify: $(grep -o 'verified against[^(]*' "$WORK/resolve$j.log" | head -n 1)"
  else
    bad "observer $j: resolve --verify"; sed 's/^/      /' "$WORK/resolve$j.log"
  fi
done

# 6. Observers take no transactions.
code=$(call "$(observer 0)" tx.submit '{"tx":"AAAA"}' | py 'a.get("error", {}).get("code")')
[ "$code" = "-32020" ] && ok "tx.submit on observer 0 refused with -32020" || bad "tx.submit on observer 0 answered code '$code'"
if "$DKMS" --genesis "$GENESIS" --node "$(observer 1)" identity create --label bob >"$WORK/refused.log" 2>&1; then
  bad "identity create through observer 1 succeeded"
elif grep -qi "observer" "$WORK/refused.log"; then
  ok "identity create through observer 1 fails: $(grep -i -m1 observer "$WORK/refused.log" | cut -c1-100)"
else
  bad "identity create through observer 1 failed without naming the observer:"; sed 's/^/      /' "$WORK/refused.log"
fi

# 7. stop ends all six; a new start and clean end all six again and remove the folder.
# shellcheck disable=SC2086
./run-testnet.sh stop >"$WORK/stop.log" 2>&1
# shellcheck disable=SC2086
if wait_until 15 none_alive $started; then ok "./run-testnet.sh stop: none of the six processes runs"; else bad "after stop still running: $(for p in $started; do alive "$p" && echo -n "$p "; done)"; fi
NO_BUILD=1 ./run-testnet.sh >"$WORK/restart.log" 2>&1
again=$(pids | tr '\n' ' ')
[ "$(echo "$again" | wc -w)" -eq 6 ] && ok "started again from their data: six processes" || bad "restart: pid files $again"
./run-testnet.sh clean >"$WORK/clean.log" 2>&1
# shellcheck disable=SC2086
if wait_until 15 none_alive $again && [ ! -e "$TESTNET_DIR" ]; then
  ok "./run-testnet.sh clean: none of the six processes runs, $TESTNET_DIR removed"
else
  bad "after clean: running $(for p in $again; do alive "$p" && echo -n "$p "; done), folder $(ls -d "$TESTNET_DIR" 2>/dev/null)"
fi
if pgrep -f "dkms-node.*$TESTNET_DIR" >/dev/null; then bad "a dkms-node of $TESTNET_DIR still runs: $(pgrep -af "dkms-node.*$TESTNET_DIR")"; else ok "no dkms-node of this testnet in the process table"; fi
finish
