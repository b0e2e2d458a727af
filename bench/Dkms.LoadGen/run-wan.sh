#!/usr/bin/env bash
# WAN series: for each profile a fresh 4-validator testnet (./run-testnet.sh, WAN mode through bench/Dkms.WanRelay),
# a warm-up, then the load generator at each rate; consensus metrics scraped before and after each run.
#   bench/Dkms.LoadGen/run-wan.sh                                  loopback four-regions uniform-50ms, rates 100 1000 max
#   bench/Dkms.LoadGen/run-wan.sh --rates "100 max" four-regions   a profile name (bench/Dkms.WanRelay/profiles/NAME.json),
#                                                                  a profile file, or "loopback" (no relay)
# Options: --rates LIST ("100 1000 max")  --duration S (15)  --grace S (20)  --warmup-run S (6; 0: none)
#   --max-txs N       transactions prepared for the max rate (20000: what a slow machine drains within the grace)
#   --run-limit S     longest one load generator run may take, set-up included (90); a stalled chain hits it
#   --no-build        use the binaries as they are (a second series after a first one)
#   --consensus JSON  genesis consensus parameters for every testnet of the series, e.g. '{"timeoutProposeMs":3000}'
#   --tag TEXT        added to the result names (to tell a series with other settings apart)
#   --out DIR         (bench/Dkms.LoadGen/results/wan-YYYYMMDD)
# Environment: P2P_PORT (30656), RPC_PORT (30657): the testnet's ports (run-testnet.sh steps them by 10 per node).
# Writes OUT/<profile><tag>-<rate>.json (load generator), OUT/<profile><tag>-<rate>.metrics.json (rounds per height,
# load average) and OUT/summary.md (every result in OUT). The testnet lives in ./testnet, as run-testnet.sh's does:
# the script refuses to start over a testnet it did not make, and removes its own at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
RATES="100 1000 max"
DURATION=15
GRACE=20
WARMUP_RUN=6
MAX_TXS=20000
RUN_LIMIT=90
BUILD=1
CONSENSUS=""
TAG=""
OUT="bench/Dkms.LoadGen/results/wan-$(date -u +%Y%m%d)"
PROFILES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) RATES=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --grace) GRACE=$2; shift 2 ;;
    --warmup-run) WARMUP_RUN=$2; shift 2 ;;
    --max-txs) MAX_TXS=$2; shift 2 ;;
    --run-limit) RUN_LIMIT=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --consensus) CONSENSUS=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) PROFILES+=("$1"); shift ;;
  esac
done
[ ${#PROFILES[@]} -gt 0 ] || PROFILES=(loopback four-regions uniform-50ms)
export P2P_PORT=${P2P_PORT:-30656} RPC_PORT=${RPC_PORT:-30657}
MARK="$ROOT/testnet/.made-by-run-wan"
if [ -d "$ROOT/testnet" ] && [ ! -f "$MARK" ]; then
  echo "./testnet exists and was not made by this script: stop and remove it first (./run-testnet.sh clean)"; exit 1
fi
mkdir -p "$OUT"
# Built once here; every testnet of the series then starts without a build (NO_BUILD).
for proj in src/Dkms.Node/Dkms.Node.csproj bench/Dkms.WanRelay/Dkms.WanRelay.csproj bench/Dkms.LoadGen/Dkms.LoadGen.csproj; do
  [ "$BUILD" = 1 ] || break
  dotnet build "$proj" -c Release -nologo -v quiet | grep -E " error |rror\(s\)" | grep -v " 0 Error" || true
done
export NO_BUILD=1
LG=(dotnet bench/Dkms.LoadGen/bin/Release/net10.0/dkms-loadgen.dll)

testnet() { ./run-testnet.sh "$@"; }
cleanup() { testnet clean >/dev/null 2>&1 || true; }
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }

# Every node's /metrics into one file per node: DIR/nodeI.prom.
scrape() {
  mkdir -p "$1"
  for i in 0 1 2 3; do curl -s -m 5 "http://127.0.0.1:$((RPC_PORT + 10 * i))/metrics" >"$1/node$i.prom" || true; done
}

# Rounds per height over a run from the histogram dkms_consensus_rounds_per_height of each node (after - before),
# and the timeouts' share: heights decided in a later round than 0.
rounds() { # rounds BEFORE_DIR AFTER_DIR LOAD_BEFORE LOAD_AFTER OUT_JSON
  python3 - "$@" <<'EOF'
import json, re, sys
before, after, lb, la, out = sys.argv[1:6]
def read(path):
    v = {}
    try:
        for line in open(path):
            m = re.match(r'^(dkms_consensus_rounds_per_height_(?:sum|count|bucket\{le="1(?:\.0)?"\})|dkms_consensus_late_votes_total|dkms_consensus_duplicate_votes_total)\s+(\S+)', line)
            if m: v[m.group(1).split('{')[0] + ('_le1' if 'bucket' in m.group(1) else '')] = float(m.group(2))
            m = re.match(r'^dkms_consensus_(step_duration_seconds_(?:sum|count)\{step="(\w+)"\}|round_duration_seconds_(?:sum|count))\s+(\S+)', line)
            if m: v[m.group(1).replace('{step="', '_').replace('"}', '')] = float(m.group(3))
            # The transfer pace (docs/consensus.md "Block size by transfer pace"): proposals sent and their bytes, misses.
            m = re.match(r'^(dkms_consensus_proposal_bytes_(?:sum|count)|dkms_consensus_proposals_missed_total|dkms_consensus_proposal_transfer_cap_bytes|dkms_consensus_transfer_rate_bytes_per_second)\s+(\S+)', line)
            if m: v[m.group(1)] = float(m.group(2))
    except FileNotFoundError: pass
    return v
def mean(d, key):
    n = d.get(key.format("count"), 0)
    return d.get(key.format("sum"), 0) / n if n else None
nodes = []
for i in range(4):
    b, a = read(f"{before}/node{i}.prom"), read(f"{after}/node{i}.prom")
    d = {k: a.get(k, 0) - b.get(k, 0) for k in a}
    n = d.get("dkms_consensus_rounds_per_height_count", 0)
    nodes.append({"node": i, "heights": n,
                  "roundsPerHeight": d.get("dkms_consensus_rounds_per_height_sum", 0) / n if n else None,
                  "heightsPastRound0": n - d.get("dkms_consensus_rounds_per_height_bucket_le1", 0),
                  "lateVotes": d.get("dkms_consensus_late_votes_total", 0),
                  "duplicateVotes": d.get("dkms_consensus_duplicate_votes_total", 0),
                  "proposals": d.get("dkms_consensus_proposal_bytes_count", 0),
                  "meanProposalBytes": d.get("dkms_consensus_proposal_bytes_sum", 0) / d["dkms_consensus_proposal_bytes_count"] if d.get("dkms_consensus_proposal_bytes_count") else None,
                  "proposalsMissed": d.get("dkms_consensus_proposals_missed_total", 0),
                  "transferCapBytes": a.get("dkms_consensus_proposal_transfer_cap_bytes"),
                  "transferRateBytesPerSecond": a.get("dkms_consensus_transfer_rate_bytes_per_second"),
                  # Where a height's time goes: mean seconds per step (propose, prevote, precommit) and per round.
                  "meanSeconds": {k: mean(d, f"step_duration_seconds_{{}}_{k}") for k in ("propose", "prevote", "precommit")}
                                 | {"round": mean(d, "round_duration_seconds_{}")}})
heights = sum(x["heights"] for x in nodes)
res = {"loadBefore": lb, "loadAfter": la, "nodes": nodes,
       "roundsPerHeight": sum((x["roundsPerHeight"] or 0) * x["heights"] for x in nodes) / heights if heights else None,
       "meanProposalBytes": (lambda xs: sum(xs) / len(xs) if xs else None)([x["meanProposalBytes"] for x in nodes if x["meanProposalBytes"] is not None]),
       "proposalsMissed": sum(x["proposalsMissed"] for x in nodes),
       "shareOfHeightsPastRound0": sum(x["heightsPastRound0"] for x in nodes) / heights if heights else None,
       "meanSeconds": {k: (lambda xs: sum(xs) / len(xs) if xs else None)([x["meanSeconds"][k] for x in nodes if x["meanSeconds"][k] is not None])
                       for k in ("propose", "prevote", "precommit", "round")}}
json.dump(res, open(out, "w"), indent=2)
EOF
}

for p in "${PROFILES[@]}"; do
  case "$p" in
    loopback) name=loopback; wan="" ;;
    *.json) name=$(basename "$p" .json); wan=$p ;;
    *) name=$p; wan="bench/Dkms.WanRelay/profiles/$p.json" ;;
  esac
  [ -z "$wan" ] || [ -f "$wan" ] || { echo "profile $wan not found"; exit 1; }
  echo "=== $name$TAG ($(date -u +%H:%M:%S), load $(load))"
  cleanup
  mkdir -p "$ROOT/testnet"; touch "$MARK"
  WAN=$wan GENESIS_CONSENSUS=$CONSENSUS testnet start | grep -E "WAN|ready|timed out|exited|committed|no block" || true
  touch "$MARK"
  # A first short run warms the nodes' code paths, the relay and the connections; not recorded.
  if [ "$WARMUP_RUN" != 0 ]; then
    "${LG[@]}" --rate 200 --duration "$WARMUP_RUN" --grace "$GRACE" --identities 1000 --label warmup 2>/dev/null | tail -n 1 || true
  fi
  for r in $RATES; do
    label="$name$TAG-$r"
    lb=$(load); scrape "$OUT/.m-$label-before"
    extra=()
    if [ "$r" = max ]; then extra=(--max-txs "$MAX_TXS" --identities 4000); fi
    # A chain that stalls would keep the load generator waiting for its set-up forever: each run has a time limit, and
    # on it is interrupted (Ctrl-C: it reports what it has, if it got past the set-up).
    rm -f "$OUT/$label.json"
    rc=0
    timeout -s INT -k 20 "$RUN_LIMIT" "${LG[@]}" --rate "$r" --duration "$DURATION" --grace "$GRACE" --label "$label" \
      --out "$OUT/$label.json" "${extra[@]}" 2> >(grep -v '^t=' >&2) | tail -n 1 || rc=$?
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "    (stopped at the ${RUN_LIMIT} s limit)"; echo "$RUN_LIMIT" >"$OUT/$label.limit"
    elif [ "$rc" != 0 ]; then echo "    (run exited with $rc: lost transactions or nodes differ)"; fi
    scrape "$OUT/.m-$label-after"; la=$(load)
    rounds "$OUT/.m-$label-before" "$OUT/.m-$label-after" "$lb" "$la" "$OUT/$label.metrics.json"
    rm -rf "$OUT/.m-$label-before" "$OUT/.m-$label-after"
    echo "    rounds/height $(jq -r '.roundsPerHeight // "-"' "$OUT/$label.metrics.json"), mean proposal $(jq -r '.meanProposalBytes // "-" | tostring | .[0:9]' "$OUT/$label.metrics.json") bytes, proposals missed $(jq -r '.proposalsMissed' "$OUT/$label.metrics.json"), load $lb -> $la"
  done
  # The relay writes what it forwarded, lost and cut when it stops.
  testnet stop >/dev/null 2>&1 || true
  if [ -f testnet/wan-relay.out ]; then cp testnet/wan-relay.out "$OUT/$name$TAG.relay.out"; fi
  cleanup
done

# The summary: every result in OUT, one row each.
python3 - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
rows = []
for f in sorted(os.listdir(out)):
    if not f.endswith(".json") or f.endswith(".metrics.json"): continue
    r = json.load(open(os.path.join(out, f)))
    mf = os.path.join(out, f[:-5] + ".metrics.json")
    m = json.load(open(mf)) if os.path.exists(mf) else {}
    label = r.get("label", f[:-5])
    prof, rate = label.rsplit("-", 1)
    lat = r.get("latency", {})
    rph = m.get("roundsPerHeight"); past = m.get("shareOfHeightsPastRound0")
    ms = m.get("meanSeconds", {})
    steps = "/".join("-" if ms.get(k) is None else f"{1000 * ms[k]:.0f}" for k in ("propose", "prevote", "precommit"))
    rows.append(f"| {prof} | {rate} | {r.get('offeredRate', 0):.0f} | {r.get('committedTxPerSecond', 0):.0f} | "
                f"{lat.get('p50', 0):.0f} | {lat.get('p99', 0):.0f} | {r.get('blocksPerSecond', 0):.2f} | {r.get('txPerBlock', 0):.0f} | "
                f"{'-' if rph is None else f'{rph:.2f}'} | {'-' if past is None else f'{100 * past:.0f}%'} | {steps} | {r.get('lost', 0)} | "
                f"{m.get('loadBefore', '-')} → {m.get('loadAfter', '-')} | {r.get('startedUtc', '')[:19]} |")
for f in sorted(os.listdir(out)):
    if not f.endswith(".metrics.json") or os.path.exists(os.path.join(out, f[:-13] + ".json")): continue
    m = json.load(open(os.path.join(out, f)))
    prof, rate = f[:-13].rsplit("-", 1)
    lim = os.path.join(out, f[:-13] + ".limit")
    why = f"no result: stopped at the {open(lim).read().strip()} s limit" if os.path.exists(lim) else "no result"
    rph = m.get("roundsPerHeight")
    rows.append(f"| {prof} | {rate} | {why} | | | | | | {'-' if rph is None else f'{rph:.2f}'} | | | | "
                f"{m.get('loadBefore', '-')} → {m.get('loadAfter', '-')} | |")
head = ("| profile | rate | offered tx/s | committed tx/s | p50 ms | p99 ms | blocks/s | tx/block | rounds/height | "
        "heights past round 0 | propose/prevote/precommit ms | lost | load avg (1/5/15 min) before → after | started (UTC) |\n|" + "---|" * 14)
open(os.path.join(out, "summary.md"), "w").write(head + "\n" + "\n".join(rows) + "\n")
print(head); print("\n".join(rows))
EOF
echo "results in $OUT (summary.md)"
