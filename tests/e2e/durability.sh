#!/usr/bin/env bash
# Issue 17 item 1 against dkms-node processes started by ./run-testnet.sh (opt-in; not part of ./test.sh):
# under async load (dkms-loadgen, RATE tx/s, default 100), all four validators are killed with SIGKILL at random
# moments (seeded: SEED, default 17), ROUNDS times (default 3), and restarted. At the end every transaction a node
# acknowledged ("pending") must be committed or have a definite rejection code on some node: none "unknown"/"pending".
# Usage: ROUNDS=3 RATE=100 tests/e2e/durability.sh   (follows P2P_PORT / RPC_PORT like run-testnet.sh)
# Ends with "N passed, N failed"; the testnet is stopped and removed (logs kept in /tmp on failure or KEEP_LOGS=1).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export P2P_PORT=${P2P_PORT:-26656} RPC_PORT=${RPC_PORT:-26657}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-100}
RANDOM=${SEED:-17}
WORK=$(mktemp -d)
load=""
cleanup() {
  if [ -n "$load" ] && kill -0 "$load" 2>/dev/null; then kill "$load" 2>/dev/null; wait "$load" 2>/dev/null; fi
  if { [ "${failed:-0}" -gt 0 ] || [ -n "${KEEP_LOGS:-}" ]; } && ls testnet/node*/node.log >/dev/null 2>&1; then
    local keep; keep=$(mktemp -d /tmp/durability-logs.XXXXXX)
    for f in testnet/node*/node.log; do cp "$f" "$keep/$(basename "$(dirname "$f")").log"; done
    cp "$WORK"/* "$keep/" 2>/dev/null; echo "logs kept in $keep"
  fi
  ./run-testnet.sh clean >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

passed=0; failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
pid_of() { cat "testnet/node$1/node.pid" 2>/dev/null; }
ms() { sleep "$(awk "BEGIN { print $1 / 1000 }")"; }

./run-testnet.sh clean >/dev/null 2>&1
if ./run-testnet.sh >"$WORK/start.log" 2>&1; then ok "testnet of 4 validators up on p2p $P2P_PORT / rpc $RPC_PORT"
else bad "testnet of 4 validators up"; tail -5 "$WORK/start.log" | sed 's/^/      /'; finish; fi
dotnet build bench/Dkms.LoadGen -c Release -nologo -v quiet >/dev/null || { bad "build bench/Dkms.LoadGen"; finish; }

# Long enough for every round (kills, restarts ≈ 10-20 s each) and a quiet end; the grace lets the last ones commit.
DURATION=$((ROUNDS * 25 + 20))
dotnet "$ROOT/bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen.dll" --rate "$RATE" --duration "$DURATION" \
  --identities 1000 --grace 120 --label durability --out "$WORK/load.json" >"$WORK/load.log" 2>"$WORK/load.err" &
load=$!

sleep 15 # set-up inceptions and the first transactions of the run
for round in $(seq 1 "$ROUNDS"); do
  ms $((2000 + RANDOM % 4000))
  for i in $(shuf -i 0-3 --random-source=<(yes "$round")); do
    ms $((RANDOM % 500))
    p=$(pid_of "$i"); [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
  done
  ms $((RANDOM % 1000))
  if ./run-testnet.sh >>"$WORK/restart.log" 2>&1; then ok "round $round: all four killed with SIGKILL and restarted"
  else bad "round $round: restart"; tail -5 "$WORK/restart.log" | sed 's/^/      /'; fi
done

wait "$load"; load=""
if [ ! -s "$WORK/load.json" ]; then bad "load generator result"; tail -5 "$WORK/load.err" | sed 's/^/      /'; finish; fi
# Lost = acknowledged but not seen committed; each is asked of every node. Definite: some node says committed or
# rejected with a code. Unknown everywhere (or still pending) = an acknowledged transaction vanished.
read -r accepted lost definite vanished < <(python3 - "$WORK/load.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
run = r.get("run", r)
accepted = run.get("accepted", run.get("Accepted", 0))
by = run.get("lostByStatus", run.get("LostByStatus", {})) or {}
definite = vanished = lost = 0
for key, n in by.items():
    if key.startswith("never-accepted"): continue
    lost += n
    views = key.split(": ", 1)[1].split()
    if any(v.startswith("committed") or (v.startswith("rejected:") and len(v) > 9) for v in views): definite += n
    else: vanished += n
print(accepted, lost, definite, vanished)
PY
)
echo "      acknowledged $accepted; not seen committed $lost, of which definite $definite, vanished $vanished"
if [ "${vanished:-1}" -eq 0 ] && [ "${accepted:-0}" -gt 0 ]; then ok "no acknowledged transaction vanished ($ROUNDS rounds at $RATE tx/s)"
else bad "acknowledged transactions vanished: $vanished (see lostByStatus in load.json)"; fi
finish
