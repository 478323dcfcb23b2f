#!/usr/bin/env bash
# crypto/ against a real OpenBao server: the server's own shares pass the
# all-shares check; shares re-split by conclave unseal it (so split and
# combine are byte-compatible both ways); an OTP from otp_generate drives a
# real generate-root and otp_decode_token recovers a working root token.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"

TOOL="$BUILD/tests/tools/crypto_tool"
lines() { printf '%s\n' "$@"; }
shares_check() { local t=$1; shift; lines "$@" | "$TOOL" shamir-check "$t"; }
sealed_progress() { bao_seal_status cs | jq -r '"\(.sealed) \(.progress)"'; }
share_form() {	# count of 66-lowercase-hex lines, count of distinct x-tags
	echo "$(lines "$@" | grep -cE '^[0-9a-f]{66}$')" \
	    "$(lines "$@" | cut -c65-66 | sort -u | wc -l)"
}
decode() { lines "$1" "$2" | "$TOOL" otp-decode; }

if ! bao_start_shamir cs --legacy-generate-root || ! bao_init cs 5 3; then
	fail "OpenBao server starts and initialises 5/3"
	finish
fi
addr=$(bao_addr cs)
keys=($(jq -r '.keys[]' "$(bao_dir cs)/init.json"))

check_output "server shares: all 5 on one degree-2 polynomial" '^CK_OK$' \
    shares_check 3 "${keys[@]}"
check_output "server shares: not on a degree-1 polynomial" '^CK_ERR_SHAMIR$' \
    shares_check 2 "${keys[@]}"
# The first hex digit of share 5 changed to another digit.
d0=${keys[4]:0:1}
[ "$d0" = 0 ] && d1=1 || d1=0
check_output "an altered share is caught" '^CK_ERR_SHAMIR$' \
    shares_check 3 "${keys[@]:0:4}" "$d1${keys[4]:1}"

# Below the threshold the combined key is wrong: OpenBao, needing 3 shares,
# must refuse its re-split and stay sealed with progress back at 0.
wrong=($(lines "${keys[0]}" "${keys[1]}" | "$TOOL" shamir-resplit 3 3))
check_fails "shares of a sub-threshold combination do not unseal" \
    bao_unseal cs "${wrong[@]}"
check_output "... and the server stays sealed, progress reset" '^true 0$' \
    sealed_progress

new=($(lines "${keys[1]}" "${keys[3]}" "${keys[4]}" | "$TOOL" shamir-resplit 3 5))
check_output "re-split: 5 shares of 66 lowercase hex, distinct x-tags" '^5 5$' \
    share_form "${new[@]}"
check "re-split: 3 of conclave's shares unseal OpenBao" \
    bao_unseal cs "${new[4]}" "${new[0]}" "${new[2]}"

# generate-root with an OTP of our own, of the length the server asks for.
olen=$(bao_curl cs "$addr/v1/sys/generate-root/attempt" | jq -r .otp_length)
otp=$("$TOOL" otp-new "$olen")
check_output "otp_generate: $olen base62 characters" "^[A-Za-z0-9]{$olen}\$" echo "$otp"
nonce=$(bao_curl cs -X PUT -d "{\"otp\":\"$otp\"}" \
    "$addr/v1/sys/generate-root/attempt" | jq -r .nonce)
enc=
for k in "${keys[@]:0:3}"; do
	enc=$(bao_curl cs -X PUT -d "{\"key\":\"$k\",\"nonce\":\"$nonce\"}" \
	    "$addr/v1/sys/generate-root/update" | jq -r .encoded_token)
done
check_output "server's encoded_token is unpadded base64" '^[A-Za-z0-9+/]{35}$' echo "$enc"
token=$(decode "$enc" "$otp")
check_output "otp_decode_token gives an s. token" '^s\.[A-Za-z0-9]{24}$' echo "$token"
check_output "the decoded token is a working root token" '"root"' \
    bao_curl cs -H "X-Vault-Token: $token" "$addr/v1/auth/token/lookup-self"
check_output "an OTP of another length is refused" '^CK_ERR_FORMAT$' \
    decode "$enc" "$("$TOOL" otp-new 28)"
finish
