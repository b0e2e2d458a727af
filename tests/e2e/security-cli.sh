#!/usr/bin/env bash
# End-to-end checks of docs/security.md with the real `dkms` binary against a running ./run-testnet.sh
# (opt-in; not part of ./test.sh). Usage: ./run-testnet.sh && tests/e2e/security-cli.sh
# Prints one line per check and ends with "N passed, N failed"; exit status 0 when all pass.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
dotnet build src/Dkms.Cli -c Release -nologo -v quiet >/dev/null || { echo "build failed"; exit 1; }
DKMS="$ROOT/src/Dkms.Cli/bin/Release/net10.0/dkms"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export DKMS_PASSPHRASE="e2e passphrase" DKMS_NEW_PASSPHRASE="e2e passphrase" DKMS_GENESIS="$ROOT/genesis/genesis.json"
export DKMS_VERIFIED_HEIGHTS="$WORK/verified-heights.json" DKMS_NODE="${DKMS_NODE:-http://127.0.0.1:26657/}"
NODE2="http://127.0.0.1:26677/"
passed=0; failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
as() { local who=$1; shift; "$DKMS" --wallet "$WORK/$who.dkms" "$@"; }
json() { local who=$1; shift; as "$who" --json "$@" 2>/dev/null; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
exit_code() { "$@" >/dev/null 2>&1; echo $?; }

for who in bob carol dave alice mallory zed; do as "$who" wallet create >/dev/null 2>&1 || bad "wallet create $who"; done
bob=$(json bob identity create --label bob | field '["id"]')
carol=$(json carol identity create --label carol | field '["id"]')
dave=$(json dave identity create --label dave | field '["id"]')
alice=$(json alice identity create --label alice --trustee "$bob" --trustee "$carol" --recovery-delay 120 | field '["id"]')
[ -n "$alice" ] && ok "identities created (alice $alice)" || { bad "identities created"; echo "0 passed, 1 failed"; exit 1; }

# A policy change signed by the current keys is pending; the policy in effect governs recovery; a rotation drops it.
out=$(json alice recovery set-policy --trustee "$carol" --trustee "$dave" --delay 60)
[ "$(echo "$out" | field '["effectiveAfter"] is not None')" = "True" ] && ok "set-policy by the current keys is pending" || bad "set-policy by the current keys is pending: $out"
as alice identity show 2>/dev/null | grep -q "RECOVERY POLICY CHANGE PENDING" && ok "identity show warns about the pending change" || bad "identity show warns about the pending change"
trustees=$(json mallory recovery request --subject "$alice" --out "$WORK/req.json" | field '["trustees"]')
echo "$trustees" | grep -q "$bob" && ! echo "$trustees" | grep -q "$dave" && ok "a recovery request goes to the trustees in effect" || bad "a recovery request goes to the trustees in effect: $trustees"
as alice identity rotate >/dev/null 2>&1 && ok "the owner rotates" || bad "the owner rotates"
[ "$(json alice resolve "$alice" | field '["identity"].get("pendingRecoveryPolicy") is None')" = "True" ] && ok "the rotation dropped the pending change" || bad "the rotation dropped the pending change"
check "the policy set with --now by the next keys is in effect" as alice recovery set-policy --trustee "$bob" --trustee "$dave" --delay 60 --now
[ "$(json alice resolve "$alice" | field '["identity"]["recovery"]["trustees"]')" = "['$bob', '$dave']" ] && ok "…and governs at once" || bad "…and governs at once"

# Verified reads from two nodes; a height below what was verified is refused.
check "resolve --verify on node 0" as alice resolve "$alice" --verify
check "resolve --verify on node 2" as alice --node "$NODE2" resolve "$alice" --verify

# Agent policy: a change that changes nothing is refused.
phone=$(json alice agent create phone | field '["agent"]' 2>/dev/null || true)
check "grant Prove to an agent" as alice policy grant --policy home --agent phone --rights Prove
code=$(exit_code as alice policy grant --policy home --agent phone --rights Prove)
[ "$code" = 2 ] && ok "granting the same bits again is refused (exit 2)" || bad "granting the same bits again is refused (exit $code)"

# Secret files are owner-only.
check "shares split --out-dir" as alice shares split --threshold 2 --count 3 --out-dir "$WORK/mnemonics"
[ "$(stat -c %a "$WORK/alice.dkms")" = 600 ] && ok "wallet file 0600" || bad "wallet file $(stat -c %a "$WORK/alice.dkms")"
[ "$(stat -c %a "$WORK/mnemonics")" = 700 ] && ok "share directory 0700" || bad "share directory $(stat -c %a "$WORK/mnemonics")"
modes=$(stat -c %a "$WORK"/mnemonics/* | sort -u | tr '\n' ' ')
[ "$modes" = "600 " ] && ok "mnemonic files 0600" || bad "mnemonic files $modes"
check "shares seal to verified trustee keys" as alice shares seal --trustee "$bob" --trustee "$carol" --threshold 2 --out-dir "$WORK/sealed"

# A deactivated identity's keys are not valid.
zed=$(json zed identity create --label zed | field '["id"]')
check "deactivate" as zed identity deactivate --yes
as zed resolve "$zed" 2>/dev/null | grep -q "DEACTIVATED" && ok "resolve shows DEACTIVATED" || bad "resolve shows DEACTIVATED"
key=$(json zed resolve "$zed" | field '["identity"]["signingKeys"][0]')
height=$(json zed resolve "$zed" | field '["height"]')
code=$(exit_code as zed key check "$zed" "$key" --height "$height")
[ "$code" != 0 ] && ok "key check of a deactivated identity's key fails (exit $code)" || bad "key check of a deactivated identity's key says valid"

# The RPC: every method without params; an unsigned transaction is Malformed.
v=$(curl -s -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"node.validators"}' "$DKMS_NODE")
echo "$v" | grep -q '"validators"' && ok "node.validators without params" || bad "node.validators without params: $v"
unsigned=$(python3 - <<'PY'
import base64
# [body: bin, signatures: []] with a body that is not even decoded before the signature list is checked
body = bytes([0x94, 0xa3]) + b"dkm" + bytes([0xc4, 0x10]) + bytes(16) + bytes([0x02, 0x92, 0x08, 0x90])
print(base64.b64encode(bytes([0x92, 0xc4, len(body)]) + body + bytes([0x90])).decode())
PY
)
r=$(curl -s -H 'content-type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tx.submit\",\"params\":{\"tx\":\"$unsigned\"}}" "$DKMS_NODE")
echo "$r" | grep -q 'Malformed' && ok "a transaction without a signature is Malformed" || bad "a transaction without a signature is Malformed: $r"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
