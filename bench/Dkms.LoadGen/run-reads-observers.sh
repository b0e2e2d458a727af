#!/usr/bin/env bash
# Read capacity (issue 20 item 4) against one validator, one observer and two observers, each series alone and next to
# writes at 1,000 tx/s sent to the four validators (bench/Dkms.LoadGen/run-reads.sh does each series). Starts its own
# testnet of 4 validators and 2 observers (P2P_PORT, RPC_PORT; observers at +1000) and removes it after.
# Environment: DURATION (10 s per window), REPEAT (1), SERIES ("validator observer1 observer2"), OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
export P2P_PORT=${P2P_PORT:-28656} RPC_PORT=${RPC_PORT:-$((P2P_PORT + 1))} OBSERVERS=2 VALIDATORS=4 LOG_MAX_MB=2 LOG_FILES=2
if [ -e testnet ] || [ -e genesis/genesis.json ]; then echo "testnet/ or genesis/genesis.json exists: stop and clean that testnet first"; exit 1; fi
trap './run-testnet.sh clean >/dev/null 2>&1 || true' EXIT
./run-testnet.sh || exit 1
sleep 5
V=$(for i in 0 1 2 3; do printf 'http://127.0.0.1:%d/,' $((RPC_PORT + 10 * i)); done); V=${V%,}
O0=http://127.0.0.1:$((RPC_PORT + 1000))/
O1=http://127.0.0.1:$((RPC_PORT + 1010))/
OUT=${OUT:-bench/Dkms.LoadGen/results/reads-$(date -u +%Y%m%d)}
for s in "validator http://127.0.0.1:$RPC_PORT/" "observer1 $O0" "observer2 $O0,$O1"; do
  set -- $s
  case " ${SERIES:-validator observer1 observer2} " in *" $1 "*) ;; *) continue ;; esac
  RPC_URLS=$2 WRITE_URLS=$V GENESIS=genesis/genesis.json REPEAT=${REPEAT:-1} DURATION=${DURATION:-10} KINDS="resolve-sampled did" \
    LABEL=obs-$1-$(git rev-parse --short HEAD) OUT=$OUT bench/Dkms.LoadGen/run-reads.sh || echo "series $1 failed"
done
./run-testnet.sh status
