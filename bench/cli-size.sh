#!/usr/bin/env bash
# What `dkms` (src/Dkms.Cli) carries: publishes it (Release, framework-dependent) into a temp directory and prints the
# number of files, the size, and whether any RocksDB library or the ledger's engine (Dkms.Ledger, Dkms.Storage) is in
# it. docs/architecture.md ("What dkms carries") lists the figures before and after Dkms.Ledger.Schema.
#   bench/cli-size.sh            the working tree
#   bench/cli-size.sh COMMIT     that commit, checked out into a temporary worktree (removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$(mktemp -d)
tree=""
cleanup() { rm -rf "$out"; [ -n "$tree" ] && git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true; }
trap cleanup EXIT
src=$root
if [ $# -ge 1 ]; then
  tree=$(mktemp -d -u)
  git worktree add --detach "$tree" "$1" >/dev/null
  src=$tree
fi
echo "load: $(uptime)"
dotnet publish "$src/src/Dkms.Cli" -c Release -nologo -v quiet -o "$out/pub" >/dev/null
files=$(find "$out/pub" -type f | wc -l)
bytes=$(du -sb "$out/pub" | cut -f1)
rocks=$(find "$out/pub" -iname '*rocksdb*' | wc -l)
engine=$(find "$out/pub" -name 'Dkms.Ledger.dll' -o -name 'Dkms.Storage.dll' | wc -l)
echo "dkms publish ${1:-working tree}: $files files, $bytes bytes ($(du -sh "$out/pub" | cut -f1)), RocksDB files: $rocks, Dkms.Ledger/Dkms.Storage dlls: $engine"
