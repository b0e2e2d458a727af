#!/usr/bin/env bash
# Read capacity series (issue 20 item 4), unattended, ≈ 9 min with the defaults:
#   reads alone — identity.resolve with proof, every answer verified (resolve); the same with one answer in
#   VERIFY_SAMPLE verified, so the client's verification does not take the cores the node needs (resolve-sampled);
#   GET /1.0/identifiers/{did} (did) — writes alone at RATE tx/s, and each kind of reads next to the writes, REPEAT
#   times; then a summary (medians) in OUT/LABEL-summary.md.
#   bench/Dkms.LoadGen/run-reads.sh                       starts its own testnet (VALIDATORS, P2P_PORT, RPC_PORT), cleans it after
#   RPC_URLS=http://h:p/,http://h:q/ GENESIS=g.json bench/Dkms.LoadGen/run-reads.sh
#                                                         reads against running nodes (validators or observers); the writes go to
#                                                         WRITE_URLS (default: RPC_URLS)
# Environment: VALIDATORS (1), P2P_PORT (32656), RPC_PORT (P2P_PORT+1), REPEAT (3), DURATION (12, s of each measured read
#   window), CONCURRENCY (32), IDENTITIES (1000), RATE (1000), KINDS ("resolve resolve-sampled did"), VERIFY_SAMPLE (20), OUT
#   (bench/Dkms.LoadGen/results/reads-YYYYMMDD), LABEL (a tag in the file names, e.g. the commit), EXTRA_READS (more
#   `dkms-loadgen reads` options), NODE_PIDS (pids of the nodes read from, comma-separated: their CPU per answer; set
#   by the script for the testnet it starts).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-12}
CONCURRENCY=${CONCURRENCY:-32}
IDENTITIES=${IDENTITIES:-1000}
RATE=${RATE:-1000}
KINDS=${KINDS:-"resolve resolve-sampled did"}
VERIFY_SAMPLE=${VERIFY_SAMPLE:-20}
OUT=${OUT:-bench/Dkms.LoadGen/results/reads-$(date -u +%Y%m%d)}
LABEL=${LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo build)}
mkdir -p "$OUT"
LOG="$OUT/$LABEL-run.log"
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }

# Summary: medians over the runs (also alone: bench/Dkms.LoadGen/run-reads.sh summary, with OUT and LABEL of a series).
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { # col GLOB JQ → the median of that field over the files
  local f; for f in $1; do [ -f "$f" ] && jq -r "$2" "$f"; done | median
}
summary() {
  {
    echo "# Read capacity $LABEL — medians of $REPEAT runs"
    echo
    cat "$OUT/$LABEL-machine.txt"
    echo
    echo "| series | answers/s | p50 ms | p99 ms | failures | client verify µs/answer | client cores | node cores | node µs/answer | load (1 min) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for kind in $KINDS; do
      for s in alone with-writes; do
        g="$OUT/$LABEL-$kind-$s-*.json"
        load=$(for f in "$OUT/$LABEL-$kind-$s"-*.load; do [ -f "$f" ] && cut -d, -f1 "$f"; done | median)
        echo "| $kind $s | $(col "$g" .answersPerSecond) | $(col "$g" .latency.p50) | $(col "$g" .latency.p99) | $(col "$g" .failures) | $(col "$g" .verifyMicrosPerAnswer) | $(col "$g" .clientCores) | $(col "$g" .nodeCores) | $(col "$g" .nodeMicrosPerAnswer) | $load |"
      done
    done
    echo
    echo "| writes at $RATE tx/s | committed tx/s | p50 ms | p99 ms | lost | load (1 min) |"
    echo "|---|---:|---:|---:|---:|---:|"
    for s in alone $(for k in $KINDS; do echo "with-$k"; done); do
      g="$OUT/$LABEL-writes-$s-*.json"
      if [ "$s" = alone ]; then loads="$OUT/$LABEL-writes-alone-*.load"; else loads="$OUT/$LABEL-${s#with-}-with-writes-*.load"; fi
      load=$(for f in $loads; do [ -f "$f" ] && cut -d, -f1 "$f"; done | median)
      echo "| writes $s | $(col "$g" .committedTxPerSecond) | $(col "$g" .latency.p50) | $(col "$g" .latency.p99) | $(col "$g" .lost) | $load |"
    done
  } >"$OUT/$LABEL-summary.md"
}

if [ "${1:-}" = summary ]; then summary; cat "$OUT/$LABEL-summary.md"; exit 0; fi

dotnet build bench/Dkms.LoadGen/Dkms.LoadGen.csproj -c Release -nologo -v quiet | grep -E " error |rror\(s\)" | grep -v " 0 Error" || true
LG=(dotnet bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen.dll)

STARTED=0
if [ -z "${RPC_URLS:-}" ]; then
  if [ -e testnet ] || [ -e genesis/genesis.json ]; then
    echo "testnet/ or genesis/genesis.json exists: stop and clean that testnet first, or give RPC_URLS and GENESIS"; exit 1
  fi
  export VALIDATORS=${VALIDATORS:-1} P2P_PORT=${P2P_PORT:-32656}
  export RPC_PORT=${RPC_PORT:-$((P2P_PORT + 1))} LOG_MAX_MB=${LOG_MAX_MB:-2} LOG_FILES=${LOG_FILES:-2}
  trap './run-testnet.sh clean >/dev/null 2>&1 || true' EXIT
  ./run-testnet.sh >>"$LOG" 2>&1 || { tail -20 "$LOG"; exit 1; }
  STARTED=1
  RPC_URLS=$(for i in $(seq 0 $((VALIDATORS - 1))); do printf 'http://127.0.0.1:%d/,' $((RPC_PORT + 10 * i)); done)
  RPC_URLS=${RPC_URLS%,}
  # One validator is measured: the reads go to node 0, the writes to every validator.
  WRITE_URLS=${WRITE_URLS:-$RPC_URLS}
  RPC_URLS=${RPC_URLS%%,*}
  GENESIS=genesis/genesis.json
  NODE_PIDS=${NODE_PIDS:-$(cat testnet/node0/node.pid)}
fi
GENESIS=${GENESIS:-genesis/genesis.json}
WRITE_URLS=${WRITE_URLS:-$RPC_URLS}
TESTNET_ARGS=()
[ "$STARTED" = 1 ] && TESTNET_ARGS=(--testnet testnet)

{
  echo "# Read capacity series $LABEL ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo "host $(hostname), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "reads to $RPC_URLS; writes to $WRITE_URLS; $CONCURRENCY in flight, $DURATION s windows, $REPEAT runs, writes at $RATE tx/s"
} >"$OUT/$LABEL-machine.txt"

reads() { # reads KIND FILE; KIND resolve-sampled: identity.resolve with one answer in VERIFY_SAMPLE verified
  local kind=(--kind "$1")
  [ "$1" = resolve-sampled ] && kind=(--kind resolve --verify-every "$VERIFY_SAMPLE")
  "${LG[@]}" reads "${kind[@]}" --nodes "$RPC_URLS" --write-node "${WRITE_URLS%%,*}" --genesis "$GENESIS" --concurrency "$CONCURRENCY" --identities "$IDENTITIES" \
    --duration "$DURATION" --warmup 3 --out "$2" --label "$(basename "$2" .json)" ${NODE_PIDS:+--pids "$NODE_PIDS"} ${EXTRA_READS:-} 2>>"$LOG" | tee -a "$LOG" || log "(reads exited with $?)"
}

# writes FILE SECONDS: a write run in the background; returns once its set-up is committed (it is submitting then).
writes_bg() {
  local err="$OUT/.writes.$$.err"; : >"$err"
  "${LG[@]}" run --rate "$RATE" --duration "$2" --warmup 3 --grace 30 --nodes "$WRITE_URLS" --genesis "$GENESIS" "${TESTNET_ARGS[@]}" \
    --out "$1" --label "$(basename "$1" .json)" 2> >(grep -v '^t=' >>"$err") >>"$LOG" &
  WRITER=$!
  for _ in $(seq 1 600); do grep -q "set-up:" "$err" && break; kill -0 "$WRITER" 2>/dev/null || break; sleep 0.2; done
  cat "$err" >>"$LOG"; rm -f "$err"
}


uptime_of() { uptime | sed 's/.*load average: //'; }

# The readers' identities are incepted once, before anything is measured (later runs find them committed).
log "set-up: incepting the readers' identities"
"${LG[@]}" reads --kind resolve --nodes "$RPC_URLS" --write-node "${WRITE_URLS%%,*}" --genesis "$GENESIS" --identities "$IDENTITIES" --duration 1 --warmup 0 \
  --concurrency 1 2>>"$LOG" >/dev/null || true

for n in $(seq 1 "$REPEAT"); do
  for kind in $KINDS; do
    log "run $n: reads $kind alone (load $(uptime_of))"
    echo "$(uptime_of)" >"$OUT/$LABEL-$kind-alone-$n.load"
    reads "$kind" "$OUT/$LABEL-$kind-alone-$n.json"
  done

  log "run $n: writes alone at $RATE tx/s (load $(uptime_of))"
  echo "$(uptime_of)" >"$OUT/$LABEL-writes-alone-$n.load"
  writes_bg "$OUT/$LABEL-writes-alone-$n.json" "$((DURATION + 3))"
  wait "$WRITER" || log "(write run exited with $?)"

  for kind in $KINDS; do
    log "run $n: writes at $RATE tx/s with reads $kind (load $(uptime_of))"
    echo "$(uptime_of)" >"$OUT/$LABEL-$kind-with-writes-$n.load"
    # The write run's measured window (after its 3 s warm-up) and the readers' (after theirs) cover the same seconds.
    writes_bg "$OUT/$LABEL-writes-with-$kind-$n.json" "$((DURATION + 3))"
    reads "$kind" "$OUT/$LABEL-$kind-with-writes-$n.json"
    wait "$WRITER" || log "(write run exited with $?)"
  done
done

summary
cat "$OUT/$LABEL-summary.md"
log "results in $OUT"
