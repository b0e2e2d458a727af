#!/usr/bin/env bash
# A local 4-validator testnet on loopback.
#   ./run-testnet.sh            build (Release), create keys + genesis unless present, start 4 nodes, wait for blocks
#   ./run-testnet.sh stop [N]   stop every node, or node N (SIGTERM, clean shutdown)
#   ./run-testnet.sh status     which nodes run, their height and peers
#   ./run-testnet.sh logs [N]   follow node N's log (all nodes when N is omitted)
#   ./run-testnet.sh restart N  stop and start node N (it resumes from its data)
#   ./run-testnet.sh clean      stop and delete keys, data and genesis
# Environment: VALIDATORS (4), P2P_PORT (26656), RPC_PORT (26657); ports step by 10 per node.
#   Each node logs to testnet/nodeN/node.log, rotated at LOG_MAX_MB (10) MB keeping LOG_FILES (5) files; stdout goes to node.out.
#   NODE_ARGS: extra settings for every node, e.g. NODE_ARGS="--Mempool:MaxTransactions=50000" (see docs/node.md).
#   OBSERVERS=K: also run K observers (testnet/observerJ, docs/node.md "Observers"): observer 0 follows validators 0
#     and 1 and the validators of the committed set, each further one only the observer before it (--peers-only).
#     P2P/RPC ports: P2P_PORT/RPC_PORT + 1000 + 10*J.
#     stop, status and clean cover them; `./run-testnet.sh observer J` starts one more, `stop-observer J` stops one.
#   WAN=PROFILE: a new testnet whose nodes reach each other through a user-space relay with the delays, loss and
#     partitions of PROFILE (bench/Dkms.WanRelay/profiles/*.json); the relay starts and stops with the nodes.
#   NO_BUILD=1: skip the build when the binaries are there.
#   TESTNET_DIR=DIR: keep this testnet in DIR (its genesis in DIR/genesis/genesis.json) instead of testnet/.
#   GENESIS_CONSENSUS='{"timeoutProposeMs":3000}': consensus parameters written into a new testnet's genesis
#     (camelCase names of ConsensusParameters, docs/consensus.md); ignored for an existing testnet.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
# TESTNET_DIR: another folder for keys, configs, data, logs and the genesis (tests and benchmarks that must not touch
# the testnet of this checkout); by default testnet/ and genesis/genesis.json here.
DIR="${TESTNET_DIR:-$ROOT/testnet}"  # keys, configs, data and logs (git-ignored)
GENESIS="${TESTNET_DIR:+$TESTNET_DIR/genesis/genesis.json}"
GENESIS="${GENESIS:-$ROOT/genesis/genesis.json}"
N=${VALIDATORS:-4}
P2P_PORT=${P2P_PORT:-26656}
RPC_PORT=${RPC_PORT:-26657}
# OBSERVER_BIN: the dkms-node observers run (default: this checkout's; bench/catchup-compare.sh runs an older build).
BIN="$ROOT/src/Dkms.Node/bin/Release/net10.0/dkms-node"
OBS_BIN="${OBSERVER_BIN:-$BIN}"
LOG_MAX_MB=${LOG_MAX_MB:-10}
LOG_FILES=${LOG_FILES:-5}

rpc_url() { echo "http://127.0.0.1:$((RPC_PORT + 10 * $1))/"; }
pid_file() { echo "$DIR/node$1/node.pid"; }
log_file() { echo "$DIR/node$1/node.log"; }
out_file() { echo "$DIR/node$1/node.out"; }

# Node N runs when its pid file names a live process that is this testnet's node N: after a kill -9 the pid may
# have been given to any other process, which must never be signalled.
running() {
  local f pid cmd; f=$(pid_file "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline"); else cmd=$(ps -o args= -p "$pid" 2>/dev/null); fi
  case "$cmd" in *dkms-node*"$DIR/node$1/"*) return 0 ;; *) return 1 ;; esac
}

rpc() { # rpc N METHOD -> JSON result or empty
  curl -s -m 2 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\"}" "$(rpc_url "$1")" 2>/dev/null || true
}

height_of() { rpc "$1" node.status | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
# The role a node reports in node.status (validator or observer); "?" from a node that does not say.
role_in() { local r; r=$(sed -n 's/.*"role":"\([a-z]*\)".*/\1/p'); echo "${r:-?}"; }

build() {
  # NO_BUILD=1: use the binaries as they are (a script that built them once and starts many testnets).
  if [ -n "${NO_BUILD:-}" ] && [ -x "$BIN" ] && { [ -z "${WAN:-}" ] || [ -f "$RELAY" ]; }; then return 0; fi
  echo "building (Release)..."
  dotnet build src/Dkms.Node/Dkms.Node.csproj -c Release -nologo -v quiet | grep -E "error|Warn|Elapsed" || true
  [ -x "$BIN" ] || { echo "build failed: $BIN missing"; exit 1; }
  if [ -n "${WAN:-}" ] || [ -f "$DIR/wan-profile" ]; then
    dotnet build bench/Dkms.WanRelay/Dkms.WanRelay.csproj -c Release -nologo -v quiet | grep -E " error |rror\(s\)" | grep -v " 0 Error" || true
  fi
}

# WAN mode: node i listens on its P2P port; peers dial the relay's port for it (P2P port + 5), written into the genesis.
RELAY="$ROOT/bench/Dkms.WanRelay/bin/Release/net10.0/dkms-wan-relay.dll"
relay_port() { echo $((P2P_PORT + 10 * $1 + 5)); }
relay_running() { [ -f "$DIR/wan-relay.pid" ] && grep -q "dkms-wan-relay" "/proc/$(cat "$DIR/wan-relay.pid")/cmdline" 2>/dev/null; }

wan_setup() {
  [ -n "${WAN:-}" ] || return 0
  [ -f "$WAN" ] || { echo "WAN profile $WAN not found"; exit 1; }
  dotnet "$RELAY" --check "$WAN" >/dev/null || { dotnet "$RELAY" --check "$WAN"; exit 1; }
  for i in $(seq 0 $((N - 1))); do
    sed -i "s#\"127.0.0.1:$((P2P_PORT + 10 * i))\"#\"127.0.0.1:$(relay_port "$i")\"#" "$DIR/genesis.json" "$GENESIS"
  done
  cp "$WAN" "$DIR/wan-profile"
  echo "WAN mode: peers reach each other through the relay (profile $WAN)"
}

start_relay() {
  [ -f "$DIR/wan-profile" ] || return 0
  if relay_running; then return 0; fi
  local nodes="" relays="" n; n=$(count)
  for i in $(seq 0 $((n - 1))); do
    nodes="$nodes${nodes:+,}127.0.0.1:$((P2P_PORT + 10 * i))"; relays="$relays${relays:+,}127.0.0.1:$(relay_port "$i")"
  done
  nohup dotnet "$RELAY" --profile "$DIR/wan-profile" --nodes "$nodes" --relays "$relays" >>"$DIR/wan-relay.out" 2>&1 &
  echo $! >"$DIR/wan-relay.pid"
  echo "WAN relay started (pid $!, log testnet/wan-relay.out)"
}

stop_relay() {
  if relay_running; then
    kill -TERM "$(cat "$DIR/wan-relay.pid")"
    for _ in $(seq 1 50); do relay_running || break; sleep 0.1; done
    if relay_running; then kill -KILL "$(cat "$DIR/wan-relay.pid")"; fi
    echo "WAN relay stopped"
  fi
  rm -f "$DIR/wan-relay.pid"
}

setup() {
  if [ -f "$GENESIS" ] && [ -f "$DIR/node0/node.json" ]; then
    # The relay's addresses are in the genesis: a chain is made in WAN mode or without it, not switched later.
    if [ -n "${WAN:-}" ] && [ ! -f "$DIR/wan-profile" ]; then echo "this testnet was made without WAN mode: ./run-testnet.sh clean first"; exit 1; fi
    if [ -n "${WAN:-}" ]; then cp "$WAN" "$DIR/wan-profile"; fi
    return
  fi
  "$BIN" testnet --output "$DIR" --validators "$N" --p2p-port "$P2P_PORT" --rpc-port "$RPC_PORT" --force >/dev/null
  mkdir -p "$(dirname "$GENESIS")"
  if [ -n "${GENESIS_CONSENSUS:-}" ]; then
    jq --argjson c "$GENESIS_CONSENSUS" '.consensus += $c' "$DIR/genesis.json" >"$DIR/genesis.json.new" || { echo "GENESIS_CONSENSUS is no JSON object"; exit 1; }
    mv "$DIR/genesis.json.new" "$DIR/genesis.json"
  fi
  cp "$DIR/genesis.json" "$GENESIS"
  wan_setup
  # Every node reads the one shared genesis file.
  for i in $(seq 0 $((N - 1))); do
    sed -i "s#\"GenesisFile\": \".*\"#\"GenesisFile\": \"$GENESIS\"#" "$DIR/node$i/node.json"
  done
  echo "created keys and genesis for $N validators (genesis: genesis/genesis.json, keys: testnet/node*/node_key.json)"
}

start_node() {
  local i=$1
  if running "$i"; then echo "node$i already running (pid $(cat "$(pid_file "$i")"))"; return; fi
  nohup "$BIN" run --config "$DIR/node$i/node.json" --log-file "$(log_file "$i")" \
    --Logging:File:MaxSizeMB="$LOG_MAX_MB" --Logging:File:MaxFiles="$LOG_FILES" ${NODE_ARGS:-} >>"$(out_file "$i")" 2>&1 &
  echo $! >"$(pid_file "$i")"
}

stop_node() {
  local i=$1 f; f=$(pid_file "$i")
  if running "$i"; then
    kill -TERM "$(cat "$f")"
    for _ in $(seq 1 100); do running "$i" || break; sleep 0.1; done
    if running "$i"; then kill -KILL "$(cat "$f")"; fi
    echo "node$i stopped"
  fi
  rm -f "$f"
}

count() { ls -d "$DIR"/node* 2>/dev/null | wc -l; }

# Observers: directories testnet/observerJ, named "oJ" where a node number goes (pid, log and rpc helpers take it).
obs_count() { ls -d "$DIR"/observer* 2>/dev/null | wc -l || true; }
obs_rpc_url() { echo "http://127.0.0.1:$((RPC_PORT + 1000 + 10 * $1))/"; }
obs_running() {
  local f="$DIR/observer$1/node.pid" pid cmd
  [ -f "$f" ] || return 1
  pid=$(cat "$f"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  case "$cmd" in *dkms-node*"$DIR/observer$1/"*) return 0 ;; *) return 1 ;; esac
}
obs_status() { curl -s -m 2 -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"node.status"}' "$(obs_rpc_url "$1")" 2>/dev/null || true; }
obs_height() { obs_status "$1" | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
node_key() { "$BIN" show-key --node-key "$1"; }

setup_observer() { # setup_observer J: keys and config of observer J unless present
  local j=$1 d="$DIR/observer$1" peers only=""
  [ -f "$d/node.json" ] && return 0
  if [ "$j" -eq 0 ]; then
    peers="$(node_key "$DIR/node0/node_key.json")@127.0.0.1:$P2P_PORT,$(node_key "$DIR/node1/node_key.json")@127.0.0.1:$((P2P_PORT + 10))"
  else
    # A tier: it takes its blocks from the observer before it only, not from the validators.
    peers="$(node_key "$DIR/observer$((j - 1))/node_key.json")@127.0.0.1:$((P2P_PORT + 1000 + 10 * (j - 1)))" only=--peers-only
  fi
  "$BIN" init --observer --data-dir "$d" --genesis "$GENESIS" --peers "$peers" $only \
    --p2p "127.0.0.1:$((P2P_PORT + 1000 + 10 * j))" --rpc "127.0.0.1:$((RPC_PORT + 1000 + 10 * j))" >/dev/null
}

start_observer() {
  local j=$1 d="$DIR/observer$1"
  if obs_running "$j"; then echo "observer$j already running"; return; fi
  setup_observer "$j"
  nohup "$OBS_BIN" run --config "$d/node.json" --log-file "$d/node.log" \
    --Logging:File:MaxSizeMB="$LOG_MAX_MB" --Logging:File:MaxFiles="$LOG_FILES" >>"$d/node.out" 2>&1 &
  echo $! >"$d/node.pid"
}

stop_observer() {
  local j=$1 f="$DIR/observer$1/node.pid"
  if obs_running "$j"; then
    kill -TERM "$(cat "$f")"
    for _ in $(seq 1 100); do obs_running "$j" || break; sleep 0.1; done
    if obs_running "$j"; then kill -KILL "$(cat "$f")"; fi
    echo "observer$j stopped"
  fi
  rm -f "$f"
}

stop_observers() { for j in $(seq 0 $(($(obs_count) - 1))); do stop_observer "$j"; done; }

wait_for_peers() {
  echo -n "waiting for nodes"
  for _ in $(seq 1 300); do
    local ok=1
    for i in $(seq 0 $((N - 1))); do
      local status peers
      # A node that exited at start-up (a refused data directory, a port in use) will not come: say why now.
      if ! running "$i"; then
        echo " node$i exited:"; tail -n 10 "$(log_file "$i")" "$(out_file "$i")" 2>/dev/null | sed 's/^/  /'; return 1
      fi
      status=$(rpc "$i" node.status)
      # A node counts as ready once its RPC answers and it sees every other validator.
      [ -n "$status" ] || { ok=0; continue; }
      peers=$(echo "$status" | grep -o '"peers":\[[^]]*\]' | grep -o '"[0-9a-f]\{64\}"' | wc -l)
      [ "${peers:-0}" -ge $((N - 1)) ] || ok=0
    done
    if [ $ok -eq 1 ]; then echo " ready"; return 0; fi
    echo -n "."; sleep 0.2
  done
  echo " timed out (see logs)"; return 1
}

case "${1:-start}" in
  start)
    build
    setup
    N=$(count)
    start_relay
    for i in $(seq 0 $((N - 1))); do start_node "$i"; done
    wait_for_peers || true
    # An idle chain commits no empty blocks: commit one probe transaction to see blocks being made.
    "$BIN" probe --rpc "$(rpc_url 0)" --genesis "$GENESIS" || echo "no block committed yet; see ./run-testnet.sh logs"

    for i in $(seq 0 $((N - 1))); do
      echo "node$i  rpc $(rpc_url "$i")  height $(height_of "$i")  log $(log_file "$i")"
    done
    K=$(( ${OBSERVERS:-0} > $(obs_count) ? ${OBSERVERS:-0} : $(obs_count) ))
    for j in $(seq 0 $((K - 1))); do start_observer "$j"; done
    for j in $(seq 0 $((K - 1))); do
      for _ in $(seq 1 100); do [ -n "$(obs_height "$j")" ] && break; sleep 0.2; done
      echo "observer$j  rpc $(obs_rpc_url "$j")  height $(obs_height "$j")  log $DIR/observer$j/node.log"
    done
    echo "stop with: ./run-testnet.sh stop"
    ;;
  stop)
    if [ -n "${2:-}" ]; then stop_node "$2"; else stop_observers; for i in $(seq 0 $(($(count) - 1))); do stop_node "$i"; done; stop_relay; fi ;;
  observer)
    [ -f "$GENESIS" ] || { echo "no testnet: ./run-testnet.sh first"; exit 1; }
    J=${2:-$(obs_count)}; start_observer "$J"; echo "observer$J started (rpc $(obs_rpc_url "$J"), log $DIR/observer$J/node.log)" ;;
  stop-observer)
    [ -n "${2:-}" ] || { echo "usage: ./run-testnet.sh stop-observer J"; exit 1; }
    stop_observer "$2" ;;
  status)
    for i in $(seq 0 $(($(count) - 1))); do
      if running "$i"; then echo "node$i  running (pid $(cat "$(pid_file "$i")"))  height $(height_of "$i")  role $(rpc "$i" node.status | role_in)  rpc $(rpc_url "$i")"
      else echo "node$i  stopped"; fi
    done
    for j in $(seq 0 $(($(obs_count) - 1))); do
      if obs_running "$j"; then echo "observer$j  running (pid $(cat "$DIR/observer$j/node.pid"))  height $(obs_height "$j")  role $(obs_status "$j" | role_in)  rpc $(obs_rpc_url "$j")"
      else echo "observer$j  stopped"; fi
    done
    if [ -f "$DIR/wan-profile" ]; then if relay_running; then echo "WAN relay running (pid $(cat "$DIR/wan-relay.pid"))"; else echo "WAN relay stopped"; fi; fi ;;
  logs)
    if [ -n "${2:-}" ]; then tail -n 100 -f "$(log_file "$2")"; else tail -n 20 -f "$DIR"/node*/node.log; fi ;;
  restart)
    [ -n "${2:-}" ] || { echo "usage: ./run-testnet.sh restart N"; exit 1; }
    stop_node "$2"; start_relay; start_node "$2"; echo "node$2 started (log $(log_file "$2"))" ;;
  clean)
    stop_observers
    for i in $(seq 0 $(($(count) - 1))); do stop_node "$i"; done
    stop_relay
    rm -rf "$DIR" "$GENESIS"; echo "removed testnet/ and genesis/genesis.json" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 1 ;;
esac
