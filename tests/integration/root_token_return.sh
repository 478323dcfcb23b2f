#!/usr/bin/env bash
# The bridge never exits holding a live root token (issue 10, "no dead
# ends"): a line on --root-token-fd that is not the ceremony's root token
# is named precisely and the token asked again; when the input ends, the
# bridge revokes the token it holds (generate-root, OTP mode) and the
# closing result and the record say so; where it holds none (PGP mode,
# init) the closing result says the token is NOT revoked and why, and the
# appliance records that and closes the ceremony as failed (nothing later
# in it could revoke the token). A token that cannot be handed over at
# all (--token-out names a file that exists) is revoked by the bridge at
# once, its result and closing result say so, and the appliance's result
# step closes the ceremony as failed without waiting. Against a real
# server (SERVER).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_shamir g1 --legacy-generate-root || { fail "OpenBao (legacy generate-root) starts"; finish; }
check "g1 is initialised" bao_init g1 5 3
key() { jq -r ".keys[$(($2 - 1))]" "$(bao_dir "$1")/init.json"; }
check "g1 is unsealed" bao_unseal g1 "$(key g1 1)" "$(key g1 2)" "$(key g1 3)"
check "the holders' sticks" quorum_sticks g1
addr=$(bao_addr g1)
root0=$(jq -r .root_token "$(bao_dir g1)/init.json")
share() { quorum_share generate-root "$@"; }
lookup() {	# ADDR TOKEN: the token's policies
	curl -s -H "X-Vault-Token: $2" "$1/v1/auth/token/lookup-self" | jq -r '(.data.policies // []) | join(",")'
}
# give_lines DIR LINE...: each line on the bridge's token fd, then its end.
give_lines() {
	local fd dir=$1; shift
	fd=$(cat "$dir/token.fd")
	printf '%s\n' "$@" >&"$fd"
	eval "exec $fd>&-"
}
# issued DIR [PGP]: a generate-root ceremony up to the token's issue.
issued() {
	local C=$1; shift
	mkdir -p "$C/x"
	"$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x" "$@" \
	    >/dev/null 2>&1 &&
	quorum_bridge_start_token "$C" generate-root --exchange "$C/x" \
	    --address "$addr" --token-out "$C/new-token" --wait 60 &&
	"$CONCLAVE" generate-root accept --state "$C/state" --witness walt \
	    --confirm-sas "$(bridge_sas "$C")" >/dev/null &&
	share "$C" alice 1 >/dev/null && share "$C" bob 2 >/dev/null &&
	share "$C" carol 3 >/dev/null &&
	"$CONCLAVE" generate-root submit --state "$C/state" >/dev/null &&
	wait_envelope "$C" 4 generate-root-result &&
	"$CONCLAVE" generate-root result --state "$C/state" >/dev/null
}

# --- OTP mode: three wrong lines, then the input ends ---
C=$T_TMP/otp
check "a generate-root ceremony issues a token (OTP mode)" issued "$C"
tok=$(cat "$C/new-token")
check_output "the new token works" '^root$' lookup "$addr" "$tok"
give_lines "$C" "" "s.not-a-token-at-all" "$root0"
check "the bridge revokes the token itself and exits 0" bridge_wait "$C"
check_output "an empty line is named, and the token asked again" \
    'the line is empty; give it again \(4 more tries\)' joined cat "$C/bridge.out"
check_output "an unknown token is named" \
    'CK_ERR_PERMISSION_DENIED.*the server does not know that token' joined cat "$C/bridge.out"
check_output "another root token is named and left alone" \
    'a root token, but not the one this ceremony made' joined cat "$C/bridge.out"
check_output "the end of the input: the bridge revoked it itself" \
    'The bridge revoked it itself' cat "$C/bridge.out"
check_output "the new token no longer works" '^$' lookup "$addr" "$tok"
check_output "the server's other root token still works" '^root$' lookup "$addr" "$root0"
check_output "the closing result says the bridge revoked it, and why" \
    '"revoked_by":"bridge"' sh -c "jq -c .payload '$C'/x/*/000005-closing-result.env 2>/dev/null ||
    cat '$C'/x/*/000005-closing-result.env"
check_output "close records the revocation" 'revoked. Ceremony closed' \
    "$CONCLAVE" generate-root close --state "$C/state"
check_output "the record says it was not given back, and the last wrong line" \
    'by the bridge, not given back \(CK_ERR_WRONG_KEY: that is a root token, but not' \
    joined "$CONCLAVE" verify "$C/state/transcript.jsonl" --facts
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- OTP mode: the bridge is stopped (SIGTERM) while the token is out ---
C=$T_TMP/term
check "a generate-root ceremony issues a token (OTP mode, to be interrupted)" issued "$C"
tok=$(cat "$C/new-token")
kill -TERM "$(cat "$C/bridge.pid")"
check "stopped while waiting, the bridge revokes the token it holds and exits 0" \
    bridge_wait "$C"
check_output "it says why" 'not given back \(interrupted by signal 15' joined cat "$C/bridge.out"
check_output "the token no longer works" '^$' lookup "$addr" "$tok"
check_output "close records the revocation by the bridge" 'revoked. Ceremony closed' \
    "$CONCLAVE" generate-root close --state "$C/state"

# --- OTP mode: the token cannot be handed over (--token-out names a file
# that exists: never overwritten); the bridge revokes it and says so at
# once, and the appliance's result closes the ceremony as failed ---
C=$T_TMP/undelivered
mkdir -p "$C/x"
echo "someone else's file" >"$C/new-token"
check "generate-root begins (the token file exists already)" "$CONCLAVE" \
    generate-root begin --state "$C/state" --exchange "$C/x"
check "the bridge offers" quorum_bridge_start_token "$C" generate-root \
    --exchange "$C/x" --address "$addr" --token-out "$C/new-token" --wait 60
check "accept, three shares, submit" sh -c "'$CONCLAVE' generate-root accept \
    --state '$C/state' --witness walt --confirm-sas '$(bridge_sas "$C")' >/dev/null"
share "$C" alice 1 >/dev/null && share "$C" bob 2 >/dev/null &&
    share "$C" carol 3 >/dev/null
check "submit" "$CONCLAVE" generate-root submit --state "$C/state"
check_fails "the bridge fails (exit 1), not waiting for a token nobody has" \
    bridge_wait "$C"
check_output "it says why" \
    'The token could not be handed over \(writing it to .*new-token failed \(already exists\)\)' \
    joined cat "$C/bridge.out"
check_output "and that it revoked the token itself" 'The bridge revoked it itself' \
    cat "$C/bridge.out"
check_output "the file is left as it was" "^someone else's file$" cat "$C/new-token"
check "the result and the closing result are both on the stick" \
    sh -c "ls '$C'/x/*/000004-generate-root-result.env '$C'/x/*/000005-closing-result.env"
check_fails "result: closed as failed at once (exit 1)" \
    sh -c "'$CONCLAVE' generate-root result --state '$C/state' >'$T_TMP/r.out' 2>&1"
check_output "  saying the bridge revoked it" \
    'could not be handed over; the bridge revoked it, and a lookup with it is refused' \
    joined cat "$T_TMP/r.out"
acc=$(jq -r 'select(.type == "root-token-generated") | .details.accessor' "$C/state/transcript.jsonl")
check_output "the issued token is gone on the server (by its accessor)" '^$' \
    sh -c "curl -s -H 'X-Vault-Token: $root0' -X POST -d '{\"accessor\":\"$acc\"}' \
    '$addr/v1/auth/token/lookup-accessor' | jq -r '.data.accessor // empty'"
check_output "verify: failed, and why" \
    'ceremony: generate-root, failed: the new root token \(accessor .*could not be handed over' \
    joined "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- PGP mode: the bridge never holds the token; a wrong line, then the end ---
C=$T_TMP/pgp
check "a generate-root ceremony issues a token (PGP mode)" issued "$C" \
    --pgp-key olga="$KEYS/operator.asc"
ptok=$(base64_after '^New root token, encrypted' "$C/bridge.out" | base64 -d |
    gpg_decrypt_as operator "$KEYS/operator.sec.asc")
give_lines "$C" "${ptok}x"
check_fails "the bridge cannot revoke it: exit 1" bridge_wait "$C"
check_output "it says the token is NOT revoked, and why" \
    'the root token is NOT revoked.*does not know that token' joined cat "$C/bridge.out"
check_output "the token still works (the record must not claim otherwise)" '^root$' \
    lookup "$addr" "$ptok"
check_fails "close: closed as failed (exit 1)" sh -c \
    "'$CONCLAVE' generate-root close --state '$C/state' >'$T_TMP/c.out' 2>&1"
check_output "  saying it is NOT revoked and what to do" \
    'the root token is NOT revoked: revoke it on the server' joined cat "$T_TMP/c.out"
check_output "the bridge's reason is on the record" \
    '"type":"root-token-not-revoked".*CK_ERR_PERMISSION_DENIED' cat "$C/state/transcript.jsonl"
check_output "verify: failed, NOT revoked" 'ceremony: generate-root, failed: the root token is NOT revoked' \
    joined "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "the facts say NOT revoked" 'NOT revoked' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl" --facts
curl -s -o /dev/null -H "X-Vault-Token: $ptok" -X POST "$addr/v1/auth/token/revoke-self"

# --- init: a wrong line, a root token made after init, then the initial
# one: each wrong one named and asked again, only the initial one revoked ---
# (static seal: the server is unsealed right after init, as the lookup needs)
bao_start_static s1 || { fail "OpenBao (static seal) starts"; finish; }
C=$T_TMP/init
check "init begin" ceremony_begin "$C" 3 --recovery
check "bridge init" bridge_init_start "$C" "$(bao_addr s1)"
root=$(operator_root_token "$C")
check_output "the init result records the server's clock at sys/init" '"init_time":[0-9]{10}' \
    cat "$C"/x/*/000002-init-result.env
acc0=$(curl -s -H "X-Vault-Token: $root" "$(bao_addr s1)/v1/auth/token/lookup-self" | jq -r .data.accessor)
sleep 2	# the later token's creation_time is past init's second and its slack
later=$(curl -s -H "X-Vault-Token: $root" -X POST -d '{"policies":["root"],"no_parent":true}' \
    "$(bao_addr s1)/v1/auth/token/create" | jq -r .auth.client_token)
check_output "a root token made after init works" '^root$' lookup "$(bao_addr s1)" "$later"
give_lines "$C" "s.typo" "$later" "$root"
check "the bridge asks again and revokes the right one (exit 0)" bridge_wait "$C"
check_output "the wrong line was named" 'does not know that token.*give it again' \
    joined cat "$C/bridge.out"
check_output "the later root token was named, not the initial one, nothing revoked" \
    '\(CK_ERR_WRONG_KEY\): that is a root token, but not the initial one \(accessor [^)]*\): made at [0-9]+, the server was initialised at [0-9]+: nothing was revoked; give it again' \
    joined cat "$C/bridge.out"
check_output "the later root token still works" '^root$' lookup "$(bao_addr s1)" "$later"
check_output "the initial root token no longer works" '^$' lookup "$(bao_addr s1)" "$root"
check "a closing result was written" sh -c "ls '$C'/x/*/000003-closing-result.env"
check_output "  its proof names the initial token's accessor" "\"accessor\":\"$acc0\"" \
    cat "$C"/x/*/000003-closing-result.env
curl -s -o /dev/null -H "X-Vault-Token: $later" -X POST "$(bao_addr s1)/v1/auth/token/revoke-self"

# --- init: only a wrong line, then the end: the bridge never held the
# token, so it is NOT revoked; the appliance's close records that and
# closes the ceremony as failed at once (nothing later could revoke it) ---
bao_start_static s2 || { fail "OpenBao (static seal, 2) starts"; finish; }
C=$T_TMP/init2
check "init begin (2)" ceremony_begin "$C" 3 --recovery
check "bridge init (2)" bridge_init_start "$C" "$(bao_addr s2)"
check "init accept" "$CONCLAVE" init accept --state "$C/state"
for k in 1 2 3 4 5; do check "handout $k" handout "$C" "$k"; done
root=$(operator_root_token "$C")
give_lines "$C" "s.typo"
check_fails "the bridge cannot revoke it: exit 1" bridge_wait "$C"
check_fails "init close: closed as failed (exit 1)" sh -c \
    "'$CONCLAVE' init close --state '$C/state' >'$T_TMP/c.out' 2>&1"
check_output "  saying it is NOT revoked and what to do" \
    'the root token is NOT revoked: revoke it on the server' joined cat "$T_TMP/c.out"
check_output "  the record keeps the bridge's reason" \
    '"type":"root-token-not-revoked".*does not know that token' cat "$C/state/transcript.jsonl"
check_output "status: closed" '^closed$' "$CONCLAVE" init status --state "$C/state"
check_output "verify: failed, NOT revoked" 'ceremony: init, failed: the root token is NOT revoked' \
    joined "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "the token still works (the record does not claim otherwise)" '^root$' \
    lookup "$(bao_addr s2)" "$root"
curl -s -o /dev/null -H "X-Vault-Token: $root" -X POST "$(bao_addr s2)/v1/auth/token/revoke-self"


# --- init with a Shamir seal: the server is sealed after init, so the
# token can be neither looked up nor revoked. The bridge says to unseal
# first and does not count those lines as tries: given five times while
# sealed, it still waits; unsealed, the same token is revoked ---
bao_start_shamir s3 || { fail "OpenBao (Shamir) starts"; finish; }
C=$T_TMP/init3
check "init begin (Shamir)" ceremony_begin "$C" 3
check "bridge init (Shamir)" bridge_init_start "$C" "$(bao_addr s3)"
check "init accept (3)" "$CONCLAVE" init accept --state "$C/state"
for k in 1 2 3 4 5; do check "handout $k (3)" handout "$C" "$k"; done
root=$(operator_root_token "$C")
fd=$(cat "$C/token.fd")
printf '%s\n' "$root" "$root" "$root" "$root" "$root" >&"$fd"
check "the sealed server is named five times" wait_for sh -c \
    "[ \$(grep -c 'CK_ERR_SEALED' '$C/bridge.out') = 5 ]"
check_output "  each time saying to unseal it first, the line not counted" \
    'unseal the server first \(an unseal ceremony\), then give the token again: that was not counted as a try' \
    joined cat "$C/bridge.out"
check "the bridge still waits for the token" kill -0 "$(cat "$C/bridge.pid")"
check_fails "  no closing result was written" sh -c "ls '$C'/x/*/000003-closing-result.env"
check_output "  each line says to unseal first, never 'give it again (N more tries)'" '^0$' \
    grep -c 'more tr' "$C/bridge.out"
check "the holders unseal the server" bao_unseal s3 "$(gpg_share "$C" 1)" \
    "$(gpg_share "$C" 2)" "$(gpg_share "$C" 3)"
check "given once more, the token is revoked (exit 0)" bridge_init_finish "$C" "$root"
check_output "the initial root token no longer works" '^$' lookup "$(bao_addr s3)" "$root"
check "init close: the ceremony closes (revoked)" "$CONCLAVE" init close --state "$C/state"

finish
