#!/usr/bin/env bash
# Runs README.md's first-screen block (the ```sh block after the "first-screen" marker) as a new user would: each line
# in order, in one shell, with a temp HOME, so `cd` and `export PATH` carry over and ~/.local/bin is the temp one.
# Only what a test must change is changed, and said here:
#   <repository URL>  becomes this repository (its committed HEAD is what gets cloned);
#   did:dkms:…        becomes the did the block's earlier output printed (a user copies it by hand);
#   ports             P2P_PORT / RPC_PORT for run-testnet.sh and DKMS_NODE for dkms are chosen now, not 26656/26657;
#   passphrase        DKMS_PASSPHRASE answers the wallet's prompt.
# Passes when every line exits 0 and the last prints "verified against the N genesis validators".
# It builds a fresh clone (several minutes), so it is an e2e script, not part of ./test.sh.
# Usage: tests/e2e/readme-first-screen.sh      (KEEP=1 keeps the temp folder)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/dkms-readme-XXXXXX")
LOG="$T/commands.log"

# Four validators take P2P_PORT + 10 i (UDP) and RPC_PORT + 10 i (TCP): a base whose eight ports nothing listens on.
listening() { ss -Hlntu 2>/dev/null | awk '{print $5}' | sed 's/.*://' ; }
pick_ports() {
  local used base i ok
  used=$(listening)
  for _ in $(seq 1 200); do
    base=$(( (RANDOM % 300 + 300) * 100 ))   # 30000..59900, far from the default testnet ports
    ok=1
    for i in 0 1 2 3; do
      if echo "$used" | grep -qx "$((base + 56 + 10 * i))\|$((base + 57 + 10 * i))"; then ok=0; fi
    done
    if [ $ok = 1 ]; then echo "$base"; return; fi
  done
  echo "no free ports" >&2; exit 1
}
BASE=$(pick_ports)
export P2P_PORT=$((BASE + 56)) RPC_PORT=$((BASE + 57))
export DKMS_NODE="http://127.0.0.1:$RPC_PORT/"
export DKMS_PASSPHRASE="correct horse battery"
# The clone restores its packages from the cache the real home already has.
export NUGET_PACKAGES=${NUGET_PACKAGES:-$HOME/.nuget/packages}
export HOME="$T/home"
mkdir -p "$HOME"
unset DKMS_WALLET DKMS_GENESIS DKMS_CONFIG DKMS_VERIFIED_HEIGHTS

CLONE=""
cleanup() {
  if [ -n "$CLONE" ] && [ -x "$CLONE/run-testnet.sh" ]; then (cd "$CLONE" && ./run-testnet.sh stop >/dev/null 2>&1) || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

BLOCK=$(awk '/<!-- first-screen/ { marked = 1; next }
             marked && /^```sh/ { inside = 1; next }
             inside && /^```/ { exit }
             inside { print }' "$ROOT/README.md")
[ -n "$BLOCK" ] || { echo "FAIL: no first-screen block in README.md"; exit 1; }

cd "$T"
did=""
last=""
while IFS= read -r line; do
  command=$(echo "$line" | sed 's/[[:space:]]\{2,\}#.*$//')   # the comment after the command
  [ -n "$command" ] || continue
  command=${command//<repository URL>/$ROOT}
  if [[ "$command" == *"did:dkms:…"* ]]; then
    [ -n "$did" ] || { echo "FAIL: '$line' needs a did, and no earlier line printed one"; exit 1; }
    command=${command//did:dkms:…/$did}
  fi
  echo "\$ $command" | tee -a "$LOG"
  if ! eval "$command" >"$T/out" 2>&1; then
    cat "$T/out"; echo "FAIL: '$command' exited non-zero (log: $LOG)"; KEEP=1; exit 1
  fi
  cat "$T/out" >>"$LOG"
  tail -n 3 "$T/out" | sed 's/^/  /'
  found=$(grep -o 'did:dkms:[1-9A-HJ-NP-Za-km-z]\+' "$T/out" | head -n 1 || true)
  [ -n "$found" ] && did=$found
  [ -d "$T/dkms-node" ] && CLONE="$T/dkms-node"
  last=$(cat "$T/out")
done <<<"$BLOCK"

if echo "$last" | grep -q "verified against the [0-9]* genesis validators"; then
  echo "PASS: README first screen: $did verified"
else
  echo "$last"; echo "FAIL: the last command did not print a verified result"; exit 1
fi
