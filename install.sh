#!/usr/bin/env bash
# Installs the two commands of this repository: `dkms` (the command line, src/Dkms.Cli) and `dkms-node` (the node,
# src/Dkms.Node), framework-dependent (they run on the .NET 10 runtime of the SDK this repository needs).
#   ./install.sh                  build (Release) and install into ${PREFIX:-$HOME/.local}
#   ./install.sh --prefix DIR     install into DIR instead (DIR/bin/dkms, DIR/bin/dkms-node, DIR/lib/dkms/...)
#   ./install.sh --no-build       install what the last Release build left in src/*/bin (builds nothing, changes nothing there)
#   ./install.sh --uninstall      remove what an earlier run installed under the prefix
#   ./install.sh --help           this text
# Layout: PREFIX/lib/dkms/cli (dkms.dll and its libraries), PREFIX/lib/dkms/node (dkms-node.dll ...), and two launchers
# PREFIX/bin/dkms and PREFIX/bin/dkms-node. Running it again replaces the installed copy (idempotent). Put PREFIX/bin on
# PATH once (the script says how when it is not). Environment: PREFIX, CONFIGURATION (Release).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
PREFIX=${PREFIX:-$HOME/.local}
CONFIGURATION=${CONFIGURATION:-Release}
BUILD=1
ACTION=install
MARKER="# launcher written by Dkms.Node install.sh"

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 1; }; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    --no-build) BUILD=0; shift ;;
    --uninstall) ACTION=uninstall; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage >&2; exit 1 ;;
  esac
done
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
BIN="$PREFIX/bin"
LIB="$PREFIX/lib/dkms"

# name  project directory  entry assembly
COMMANDS=("dkms src/Dkms.Cli dkms.dll" "dkms-node src/Dkms.Node dkms-node.dll")

uninstall() {
  for entry in "${COMMANDS[@]}"; do
    read -r name _ _ <<<"$entry"
    # Only a launcher this script wrote is removed: a `dkms` from elsewhere on the prefix is not ours.
    if [ -f "$BIN/$name" ] && grep -qF "$MARKER" "$BIN/$name"; then rm -f "$BIN/$name"; echo "removed $BIN/$name"; fi
  done
  if [ -d "$LIB" ]; then rm -rf "$LIB"; echo "removed $LIB"; fi
}

if [ "$ACTION" = uninstall ]; then uninstall; exit 0; fi

command -v dotnet >/dev/null || { echo "install.sh: dotnet is not on PATH; install the .NET 10 SDK (global.json pins the band)" >&2; exit 1; }
DOTNET=$(command -v dotnet)

if [ "$BUILD" = 1 ]; then
  for entry in "${COMMANDS[@]}"; do
    read -r name project _ <<<"$entry"
    echo "building $name ($CONFIGURATION)..."
    if ! log=$(dotnet build "$project" -c "$CONFIGURATION" -nologo -v quiet 2>&1); then
      echo "$log" | grep -E "error" | sort -u >&2; echo "install.sh: building $project failed; nothing installed" >&2; exit 1
    fi
  done
fi

mkdir -p "$BIN" "$LIB"
for entry in "${COMMANDS[@]}"; do
  read -r name project dll <<<"$entry"
  out="$ROOT/$project/bin/$CONFIGURATION/net10.0"
  [ -f "$out/$dll" ] || { echo "install.sh: $out/$dll is missing: build first (./install.sh without --no-build)" >&2; exit 1; }
  dest="$LIB/${name#dkms-}"; [ "$name" = dkms ] && dest="$LIB/cli"
  # Copy beside, then swap: a run that fails half-way leaves the previous install whole.
  rm -rf "$dest.new"
  cp -R "$out" "$dest.new"
  rm -rf "$dest"
  mv "$dest.new" "$dest"
  # The launcher runs the dotnet found now; when that one is gone, whichever dotnet is on PATH then.
  cat >"$BIN/$name.new" <<EOF
#!/bin/sh
$MARKER; reinstall with ./install.sh, remove with ./install.sh --uninstall
if [ -x "$DOTNET" ]; then exec "$DOTNET" "$dest/$dll" "\$@"; fi
exec dotnet "$dest/$dll" "\$@"
EOF
  chmod 755 "$BIN/$name.new"
  mv "$BIN/$name.new" "$BIN/$name"
  echo "installed $BIN/$name  ->  $dest/$dll"
done

case ":$PATH:" in
  *":$BIN:"*) echo "$BIN is on PATH: run 'dkms --help' and 'dkms-node --help'" ;;
  *) echo "$BIN is not on PATH; add it (and to ~/.profile to keep it):"
     echo "  export PATH=\"$BIN:\$PATH\"" ;;
esac
