#!/usr/bin/env bash
# The generate-root (break-glass) ceremony against real servers (SERVER)
# (issue 4, "done when" 3): OTP mode gives a working root token that never
# crosses the airgap and is revoked at close; PGP mode gives the token
# encrypted to the operator's key; the unauthenticated endpoint disabled
# (OpenBao's default) is reported with the listener setting that opens it,
# and OpenBao's token-authenticated sys/generate-root-token works; a share
# of another cluster makes the server refuse, the attempt is cancelled and
# the failure recorded. Every transcript verifies.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_shamir g1 --legacy-generate-root || { fail "OpenBao (legacy generate-root) starts"; finish; }
check "g1 is initialised" bao_init g1 5 3
key() { jq -r ".keys[$(($2 - 1))]" "$(bao_dir "$1")/init.json"; }
check "g1 is unsealed" bao_unseal g1 "$(key g1 1)" "$(key g1 2)" "$(key g1 3)"
check "the holders' sticks" quorum_sticks g1
share() { quorum_share generate-root "$@"; }
lookup() {	# ADDR TOKEN: the token's policies
	curl -s -H "X-Vault-Token: $2" "$1/v1/auth/token/lookup-self" | jq -r '(.data.policies // []) | join(",")'
}
confirm() {
	"$CONCLAVE" generate-root accept --state "$1/state" --witness walt \
	    --confirm-sas "$(bridge_sas "$1")"
}

# --- OTP mode on the unauthenticated endpoint ---
C=$T_TMP/otp
mkdir -p "$C/x"
addr=$(bao_addr g1)
check "begin (OTP mode)" "$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x"
check "the bridge starts the attempt and offers a session" quorum_bridge_start_token "$C" \
    generate-root --exchange "$C/x" --address "$addr" --token-out "$C/new-token" --wait 60
check_output "the offer names the legacy endpoint and the server's OTP length" \
    'sys/generate-root \(nonce' cat "$C/bridge.out"
check_output "shares are refused before the SAS is confirmed" CK_ERR_STATE share "$C" alice 1
check "the witness confirms the SAS" confirm "$C"
check "alice" share "$C" alice 1
check "bob" share "$C" bob 2
check "carol" share "$C" carol 3
check "submit" "$CONCLAVE" generate-root submit --state "$C/state"
check "the bridge answers" wait_envelope "$C" 4 generate-root-result
check_output "result: the new token's accessor, never the token" '^Accessor ' \
    "$CONCLAVE" generate-root result --state "$C/state"
check_output "the token file is the operator's alone (0600)" '^600$' stat -c %a "$C/new-token"
tok=$(cat "$C/new-token")
check_output "the new token works and is a root token" '^root$' lookup "$addr" "$tok"
check_output "its accessor is what the transcript records" \
    "\"accessor\":\"$(curl -s -H "X-Vault-Token: $tok" "$addr/v1/auth/token/lookup-self" | jq -r .data.accessor)\"" \
    cat "$C/state/transcript.jsonl"
no_token() { ! grep -rqF "$tok" "$C/state" "$C/x"; }
check "the token is in no envelope and not in the transcript" no_token
check_output "close before the token is revoked is refused" CK_ERR_NOT_FOUND \
    "$CONCLAVE" generate-root close --state "$C/state"
quorum_give_token "$C" "$tok"
check "the bridge revokes it and exits 0" bridge_wait "$C"
check_output "the token no longer works" '^$' lookup "$addr" "$tok"
check_output "close records the revocation" 'revoked. Ceremony closed' \
    "$CONCLAVE" generate-root close --state "$C/state"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "the record's facts show the token's revocation (step 6)" \
    '^Step 6: Submit the shares, and the results: 20' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl" --facts
check_output "... and its accessor, with the lookup refused" \
    'a lookup afterwards was refused' "$CONCLAVE" verify "$C/state/transcript.jsonl" --facts

# --- PGP mode: the token encrypted to the operator's key ---
C=$T_TMP/pgp
mkdir -p "$C/x"
check "begin (PGP mode, to olga)" "$CONCLAVE" generate-root begin --state "$C/state" \
    --exchange "$C/x" --pgp-key olga="$KEYS/operator.asc"
check "bridge (PGP)" quorum_bridge_start_token "$C" generate-root --exchange "$C/x" \
    --address "$addr" --wait 60
check "accept (PGP)" confirm "$C"
check "dave" share "$C" dave 4
check "erin" share "$C" erin 5
check "alice (PGP)" share "$C" alice 1
check "submit (PGP)" "$CONCLAVE" generate-root submit --state "$C/state"
check "the bridge answers (PGP)" wait_envelope "$C" 4 generate-root-result
check_output "result: encrypted to the operator's fingerprint" \
    "^Encrypted to $(gpg --with-colons --import-options show-only --import "$KEYS/operator.asc" 2>/dev/null | awk -F: '/^fpr/ {print tolower($10); exit}')" \
    "$CONCLAVE" generate-root result --state "$C/state"
ptok=$(base64_after '^New root token, encrypted' "$C/bridge.out" | base64 -d |
    gpg_decrypt_as operator "$KEYS/operator.sec.asc")
check_output "the operator's key decrypts a working root token" '^root$' lookup "$addr" "$ptok"
quorum_give_token "$C" "$ptok"
check "revoked (PGP)" bridge_wait "$C"
check "close (PGP)" "$CONCLAVE" generate-root close --state "$C/state"
check_output "the transcript verifies (PGP)" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- the server restarts mid-ceremony: its attempt and nonce are gone ---
C=$T_TMP/restart
mkdir -p "$C/x"
check "begin (restart)" "$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x"
check "bridge (restart)" quorum_bridge_start_token "$C" generate-root --exchange "$C/x" \
    --address "$addr" --wait 60
check "accept (restart)" confirm "$C"
check "alice (restart)" share "$C" alice 1
check "bob (restart)" share "$C" bob 2
check "carol (restart)" share "$C" carol 3
restart_g1() { bao_restart g1 && bao_unseal g1 "$(key g1 1)" "$(key g1 2)" "$(key g1 3)"; }
check "g1 restarts and is unsealed again" restart_g1
check "submit (restart)" "$CONCLAVE" generate-root submit --state "$C/state"
check "the bridge reports the failure (restart)" wait_envelope "$C" 4 generate-root-result
check_output "result: the attempt's nonce is gone, recorded, closed" 'CK_ERR_WRONG_NONCE' \
    "$CONCLAVE" generate-root result --state "$C/state"
check_output "the transcript verifies (restart)" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- a share of another cluster: refused, attempt cancelled, on the record ---
bao_start_shamir g2 || { fail "OpenBao (default listener) starts"; finish; }
check "g2 is initialised" bao_init g2 5 3
check "g2 is unsealed" bao_unseal g2 "$(key g2 1)" "$(key g2 2)" "$(key g2 3)"
encrypt_share 3 "$(key g2 3)" >"$T_TMP/stick3/g2.gpg"
C=$T_TMP/foreign
mkdir -p "$C/x"
check "begin (foreign share)" "$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x"
check "bridge (foreign share)" quorum_bridge_start_token "$C" generate-root --exchange "$C/x" \
    --address "$addr" --wait 60
check "accept (foreign share)" confirm "$C"
check "alice (g1)" share "$C" alice 1
check "bob (g1)" share "$C" bob 2
check "carol brings g2's share" share "$C" carol 3 "$T_TMP/stick3/g2.gpg"
check "submit (foreign share)" "$CONCLAVE" generate-root submit --state "$C/state"
check "the bridge reports the failure" wait_envelope "$C" 4 generate-root-result
check_output "result: the server refused, the ceremony is closed" 'CK_ERR_SHARE_REFUSED' \
    "$CONCLAVE" generate-root result --state "$C/state"
check_output "no attempt is left in progress" '^false$' sh -c \
    "curl -s $addr/v1/sys/generate-root/attempt | jq -r .started"
check_output "the transcript verifies (foreign share)" '^OK' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- OpenBao's default: the unauthenticated endpoint is disabled (Vault
# has no such setting: its endpoint is on, as the ceremonies above used) ---
a2=$(bao_addr g2)
if server_has unauthed-off; then
	C=$T_TMP/disabled
	mkdir -p "$C/x"
	check "begin (disabled endpoint)" "$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x"
	check_output "without a token the bridge names the listener setting" \
	    'disable_unauthed_generate_root_endpoints = false' \
	    "$BRIDGE" generate-root --exchange "$C/x" --address "$a2" --wait 5
	check_output "the appliance refuses the offer and says the same" \
	    'CK_ERR_DISABLED_ENDPOINT.*|disable_unauthed_generate_root_endpoints = false' \
	    "$CONCLAVE" generate-root accept --state "$C/state"
	check_output "the transcript records the setting" \
	    '"setting":"disable_unauthed_generate_root_endpoints = false"' cat "$C/state/transcript.jsonl"
	check_output "the ceremony is closed as failed (the bridge has stopped)" \
	    'ceremony: generate-root, failed: ' "$CONCLAVE" verify "$C/state/transcript.jsonl"
fi

# --- with a token: OpenBao's token-authenticated sys/generate-root-token;
# Vault has none (404) and the bridge falls back to sys/generate-root ---
endpoint=sys/generate-root-token
server_has generate-root-token || endpoint=sys/generate-root
jq -r .root_token "$(bao_dir g2)/init.json" >"$T_TMP/g2-root"
quorum_sticks g2
C=$T_TMP/token
mkdir -p "$C/x"
check "begin (generate-root-token)" "$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x"
check "bridge with a token uses $endpoint" quorum_bridge_start_token "$C" \
    generate-root --exchange "$C/x" --address "$a2" --token-file "$T_TMP/g2-root" \
    --token-out "$C/new-token" --wait 60
check "accept (token)" confirm "$C"
check "bob (token)" share "$C" bob 2
check "carol (token)" share "$C" carol 3
check "dave (token)" share "$C" dave 4
check "submit (token)" "$CONCLAVE" generate-root submit --state "$C/state"
check "the bridge answers (token)" wait_envelope "$C" 4 generate-root-result
check_output "result names $endpoint" "through $endpoint " \
    "$CONCLAVE" generate-root result --state "$C/state"
ttok=$(cat "$C/new-token")
check_output "the new token works" '^root$' lookup "$a2" "$ttok"
check_output "it is the server's kind of token ($SERVER_TOKEN_PREFIX)" "^${SERVER_TOKEN_PREFIX//./\\.}" \
    echo "$ttok"
quorum_give_token "$C" "$ttok"
check "revoked (token)" bridge_wait "$C"
check "close (token)" "$CONCLAVE" generate-root close --state "$C/state"
check_output "the transcript verifies (token)" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check "every line the bridge printed fits 80 columns (issue 10)" bridge_fits80
finish
