#!/usr/bin/env bash
# The init ceremony's OpenPGP layer against a real OpenBao (go-crypto):
# the roster's pgp_keys are accepted, share i's PKESK names exactly the
# encryption subkey conclave predicted for holder i (including the key whose
# newest subkey has expired, and the key whose older subkey was re-bound
# last, where gpg and go-crypto disagree; DSA/ElGamal and a certify-only
# primary, which we accept with a warning or silently), the shares decrypt with the holders' key
# files to 66-hex text that unseals, and the root token goes to the operator.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"

TOOL="$BUILD/tests/tools/pgp_tool"
K="$TOP/tests/vectors/keys"
PASS="$K/passphrase.txt"
holders=(holder1 holder3 multisub rebound holder2 dsaelg certonly)

roster=$("$TOOL" roster $(for h in "${holders[@]}"; do echo "$K/$h.asc"; done))
check "roster of ${#holders[@]} holders" test "$(echo "$roster" | wc -l)" -eq ${#holders[@]}
op=$("$TOOL" roster "$K/operator.asc")

if ! bao_start_shamir pgp; then
	fail "OpenBao starts"
	finish
fi
keys_json=$(echo "$roster" | awk '{print $4}' | jq -R . | jq -s .)
body=$(jq -n --argjson k "$keys_json" --arg op "$(echo "$op" | awk '{print $4}')" \
    '{secret_shares: ($k|length), secret_threshold: 2, pgp_keys: $k, root_token_pgp_key: $op}')
d=$(bao_dir pgp)
check "sys/init accepts the roster's pgp_keys" sh -c \
    "curl -sS -f --noproxy '*' -X PUT -d '$body' '$(bao_addr pgp)/v1/sys/init' >'$d/init.json'"

shares=()
for i in "${!holders[@]}"; do
	h=${holders[$i]}
	want=$(echo "$roster" | awk -v n=$((i + 1)) '$1 == n {print $3}')
	jq -r ".keys_base64[$i]" "$d/init.json" | base64 -d >"$T_TMP/share$i.gpg"
	check_output "share $((i + 1)) ($h) is encrypted to the predicted subkey $want" \
	    "^$want\$" "$TOOL" recipients "$T_TMP/share$i.gpg"
	s=$("$TOOL" decrypt "$K/$h.sec.asc" "$T_TMP/share$i.gpg" <"$PASS")
	check "share $((i + 1)) decrypts to 66 hex digits" \
	    sh -c "echo '$s' | grep -Eq '^[0-9a-f]{66}\$'"
	shares+=("$s")
done
check_output "a share for another holder is refused" "CK_ERR_WRONG_KEY" \
    "$TOOL" decrypt "$K/holder1.sec.asc" "$T_TMP/share1.gpg" <"$PASS"
check "two decrypted shares unseal" bao_unseal pgp "${shares[0]}" "${shares[2]}"

jq -r .root_token "$d/init.json" | base64 -d >"$T_TMP/root.gpg"
check_output "root token is encrypted to the operator" \
    "^$(echo "$op" | awk '{print $3}')\$" "$TOOL" recipients "$T_TMP/root.gpg"
check_output "root token decrypts to an s. token" '^s\.[A-Za-z0-9]{24}$' \
    "$TOOL" decrypt "$K/operator.sec.asc" "$T_TMP/root.gpg" <"$PASS"
finish
