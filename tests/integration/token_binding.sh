#!/usr/bin/env bash
# The appliance's own check of the bridge's closing result (generate-root,
# OTP mode), and the closing after a token the bridge could not hand over
# (issue 10). The bridge's side is played by this test with a key it holds
# (tests/tools/envelope_tool signs its envelopes; the appliance pins that
# key from the offer, as it would the real bridge's), so that it can say
# what a real bridge never says: no server is needed.
#   - A closing result revoking another accessor than the result issued is
#     refused (CK_ERR_WRONG_TOKEN), on the record once, nothing else
#     changes; the right one closes the ceremony.
#   - A result saying the token was not handed over, with the closing
#     result beside it: `result` takes both at once and closes the
#     ceremony as failed, the record saying the bridge revoked it, or that
#     it is NOT revoked; the summary counts the failed handover (and a
#     token NOT revoked) as exceptions;
#     there too another accessor is refused.
#   - Begun with --review: after the revocation abandon is refused, and
#     witnesses who could not stay are recorded absent by the appliance.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ceremony.sh"
ENV_TOOL=$BUILD/tests/tools/envelope_tool
"$ENV_TOOL" keypair "$T_TMP/bridge.key"
BOX_PK=$(head -c 32 /dev/urandom | xxd -p -c 64)
SHARE=$(printf '%s01' "$(head -c 32 /dev/urandom | xxd -p -c 64)")
encrypt_share 1 "$SHARE" >"$T_TMP/share.gpg"
ACC=hKGnYc4TnlyArOh9ET1b1lyv
OTHER=tSCbVDjgpqWcnfHD9pHNfF7N

# send C SEQ TYPE JSON: the test's bridge writes an envelope to C's folder.
send() {
	local id
	id=$(jq -r .ceremony_id "$1/state/ceremony.json")
	echo "$4" | "$ENV_TOOL" forge "$3" "$id" "$2" "$T_TMP/bridge.key" \
	    >"$1/x/$id/$(printf %06d "$2")-$3.env"
}
# issue C [RESULT-JSON-EXTRA]: a generate-root ceremony up to its result
# (threshold 1, one share), the result carrying EXTRA's members too.
issue() {
	local C=$1 sas
	mkdir -p "$C/x"
	"$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x" \
	    "${BEGIN[@]}" >/dev/null || return 1
	send "$C" 2 session-offer "{\"kind\":\"generate-root\",\"box_pk\":\"$BOX_PK\",
	    \"nonce\":\"n-$RANDOM\",\"threshold\":1,\"mode\":\"otp\",
	    \"endpoint\":\"sys/generate-root\",\"otp_length\":28,
	    \"address\":\"http://127.0.0.1:1\"}" || return 1
	sas=$("$CONCLAVE" generate-root accept --state "$C/state" |
	    sed -n '/^Short authentication string/{n;s/^ *//;p;}')
	"$CONCLAVE" generate-root accept --state "$C/state" --witness walt \
	    --confirm-sas "$sas" >/dev/null &&
	quorum_share generate-root "$C" alice 1 "$T_TMP/share.gpg" >/dev/null &&
	"$CONCLAVE" generate-root submit --state "$C/state" >/dev/null &&
	send "$C" 4 generate-root-result "$(jq -c --arg n "$(jq -r .data.offer.nonce \
	    "$C/state/ceremony.json")" --arg a "$ACC" '. + {kind: "generate-root",
	    complete: true, endpoint: "sys/generate-root", nonce: $n, mode: "otp",
	    accessor: $a}' <<<"${2:-{\}}")"
}
proof() { jq -nc --arg a "$1" '{root_token_revoked: true, accessor: $a, lookup_refused: true}'; }
BEGIN=()

# --- the token given back and revoked: the accessor must be the issued one ---
C=$T_TMP/given
check "a token is issued (accessor $ACC)" issue "$C"
check_output "result records it" "Accessor $ACC" \
    "$CONCLAVE" generate-root result --state "$C/state"
send "$C" 5 closing-result "$(proof "$OTHER")"
refused_once "a closing result revoking another accessor" "$C/state" CK_ERR_WRONG_TOKEN -- \
    "$CONCLAVE" generate-root close --state "$C/state"
check_output "  names both accessors" \
    "CK_ERR_WRONG_TOKEN.*revoked accessor $OTHER, not the token this ceremony issued \\(accessor $ACC\\)" \
    joined cat "$T_TMP/out"
check_output "  the ceremony is still open, issued" '^issued' \
    "$CONCLAVE" generate-root status --state "$C/state"
send "$C" 5 closing-result "$(proof "$ACC")"
check_output "the issued accessor's revocation closes it" 'revoked. Ceremony closed' \
    "$CONCLAVE" generate-root close --state "$C/state"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- not handed over, revoked by the bridge: result closes it at once ---
C=$T_TMP/revoked
UNDELIVERED='{"handed_over":false,"handover_error":"CK_ERR_EXISTS: writing it to /run/new-token failed (already exists)"}'
check "a token is issued but not handed over" issue "$C" "$UNDELIVERED"
send "$C" 5 closing-result "$(proof "$ACC" | jq -c '. + {revoked_by: "bridge",
    reason: "CK_ERR_EXISTS: writing it to /run/new-token failed (already exists)"}')"
check_fails "result: the ceremony fails (exit 1)" \
    sh -c "'$CONCLAVE' generate-root result --state '$C/state' >'$T_TMP/r.out' 2>&1"
check_output "  at once: the bridge revoked it" \
    "could not be handed over; the bridge revoked it, and a lookup with it is refused" \
    joined cat "$T_TMP/r.out"
check_output "  closed as failed" 'Ceremony closed as failed' cat "$T_TMP/r.out"
check_output "  the failed handover counted as an exception" \
    '^Record: 0 refusals, 0 deviations, 1 exception in all' cat "$T_TMP/r.out"
check_output "  and on the record with the bridge's reason" \
    '"type":"handover-failed".*CK_ERR_EXISTS: writing it to' cat "$C/state/transcript.jsonl"
check_output "status says closed" '^closed$' "$CONCLAVE" generate-root status --state "$C/state"
check_output "verify: valid, failed, and why" \
    "ceremony: generate-root, failed: the new root token \\(accessor $ACC\\) could not be handed over" \
    joined "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "the facts: revoked by the bridge, never handed over" \
    "accessor $ACC revoked at .* by the bridge, never handed over \\(CK_ERR_EXISTS" \
    joined "$CONCLAVE" verify "$C/state/transcript.jsonl" --facts

# --- not handed over and NOT revoked: on the record, closed as failed ---
C=$T_TMP/live
check "a token is issued but not handed over (2)" issue "$C" "$UNDELIVERED"
send "$C" 5 closing-result '{"root_token_revoked":false,"error":"CK_ERR_UNREACHABLE: server unreachable"}'
check_fails "result: the ceremony fails (exit 1)" \
    sh -c "'$CONCLAVE' generate-root result --state '$C/state' >'$T_TMP/r.out' 2>&1"
check_output "  says it is NOT revoked and what to do" \
    "accessor $ACC\\) could not be handed over and is NOT revoked: revoke it on the server" \
    joined cat "$T_TMP/r.out"
check_output "  the record keeps the bridge's error" \
    '"type":"root-token-not-revoked".*CK_ERR_UNREACHABLE: server unreachable' \
    cat "$C/state/transcript.jsonl"
check_output "  and the summary counts both as exceptions" \
    '^Record: 0 refusals, 0 deviations, 2 exceptions in all' cat "$T_TMP/r.out"
check_output "verify: failed" 'ceremony: generate-root, failed: .*NOT revoked' \
    joined "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "the facts: both exceptions, with the bridge's words" \
    'handover-failed \(bridge\): .*CK_ERR_EXISTS.*root-token-not-revoked \(bridge\): .*CK_ERR_UNREACHABLE' \
    sh -c "'$CONCLAVE' verify '$C/state/transcript.jsonl' --facts | tr '\n' ' '"

# --- given back, but the bridge could NOT revoke it: closed as failed ---
C=$T_TMP/notrevoked
check "a token is issued (4)" issue "$C"
check "result" "$CONCLAVE" generate-root result --state "$C/state"
send "$C" 5 closing-result '{"root_token_revoked":false,"error":"CK_ERR_UNREACHABLE: server unreachable"}'
check_fails "close: closed as failed (exit 1), not a refusal left open" \
    sh -c "'$CONCLAVE' generate-root close --state '$C/state' >'$T_TMP/r.out' 2>&1"
check_output "  says it is NOT revoked, its accessor, and what to do" \
    "the root token \\(accessor $ACC\\) is NOT revoked: revoke it on the server" \
    joined cat "$T_TMP/r.out"
check_output "status: closed" '^closed$' "$CONCLAVE" generate-root status --state "$C/state"
check_output "the facts: NOT revoked, in the bridge's words" \
    'root-token-not-revoked \(bridge\): .*CK_ERR_UNREACHABLE' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl" --facts
check_fails "  and no handover failure (it was handed over)" \
    grep -q handover-failed "$C/state/transcript.jsonl"

# --- not handed over, the bridge's revocation of another accessor: refused ---
C=$T_TMP/wrong
check "a token is issued but not handed over (3)" issue "$C" "$UNDELIVERED"
send "$C" 5 closing-result "$(proof "$OTHER" | jq -c '. + {revoked_by: "bridge", reason: "x"}')"
check_fails "result takes the result, refuses the closing result" \
    sh -c "'$CONCLAVE' generate-root result --state '$C/state' >'$T_TMP/r.out' 2>&1"
check_output "  as another token's" "CK_ERR_WRONG_TOKEN.*revoked accessor $OTHER" \
    joined cat "$T_TMP/r.out"
check_output "  on the record once" '^1$' \
    sh -c "grep -c '\"error\":\"CK_ERR_WRONG_TOKEN\"' '$C/state/transcript.jsonl'"
check_output "  the ceremony stays issued" '^issued' \
    "$CONCLAVE" generate-root status --state "$C/state"

# --- begun with --review (walt and vera witnessing), neither could stay:
# the token revoked, abandon is refused (its irreversible steps are done),
# and the review closes it with both recorded absent, by the appliance ---
C=$T_TMP/absent
BEGIN=(--review --witness walt --witness vera)
check "a token is issued (begun with --review)" issue "$C"
BEGIN=()
check "result" "$CONCLAVE" generate-root result --state "$C/state"
send "$C" 5 closing-result "$(proof "$ACC")"
check_output "close: revoked, held for the review" 'stays open for the witnesses. review' \
    "$CONCLAVE" generate-root close --state "$C/state"
refused_once "abandon after the revocation" "$C/state" CK_ERR_IN_REVIEW -- \
    "$CONCLAVE" generate-root abandon --state "$C/state" --reason "nobody stayed"
refused_once "--absent of someone not a witness" "$C/state" CK_ERR_NOT_A_WITNESS -- \
    "$CONCLAVE" review --state "$C/state" --absent mallory
check "review: walt and vera were not there" "$CONCLAVE" review --state "$C/state" \
    --absent walt --absent vera
check_output "  both on the record, by the appliance, naming them" \
    '^deviation:appliance:walt deviation:appliance:vera $' sh -c "jq -r \
    'select(.type == \"deviation\") | .type + \":\" + .actor + \":\" + .details.witness' \
    '$C/state/transcript.jsonl' | tr '\n' ' '"
check_fails "  nobody confirmed for them" grep -q witness-confirmation "$C/state/transcript.jsonl"
check_output "the transcript verifies, counting both" \
    '^record: 2 refusals, 2 deviations, 4 exceptions in all' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"
finish
