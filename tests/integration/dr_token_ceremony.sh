#!/usr/bin/env bash
# The dr-token ceremony (issue 4, "done when" 4) against a LOCAL HTTP
# FIXTURE, tests/fixtures/vault_dr.py: no Vault Enterprise server is
# available here, so the fixture replays the request and response shapes
# that Vault documents for sys/replication/dr/secondary/generate-operation-token
# and .../promote. It proves the conclave side (SAS, sealed shares, OTP of
# the announced length, decoding, promotion, transcript), not Vault itself.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

check "the DR fixture listens" dr_fixture dr 28
addr="http://127.0.0.1:$(cat "$T_TMP/dr.port")"
check "the holders' sticks" quorum_sticks dr
share() { quorum_share dr-token "$@"; }

# A long state path with spaces: the command the appliance prints for the
# witness is broken over lines and must still run as copied.
C="$T_TMP/dr1 the ceremony folder of the locked room on the third floor, east wing"
mkdir -p "$C/x"
check "dr-token begin" "$CONCLAVE" dr-token begin --state "$C/state" --exchange "$C/x"
check "the bridge starts the attempt and offers a session" quorum_bridge_start "$C" \
    dr-token --exchange "$C/x" --address "$addr" --token-out "$C/dr-token" --promote --wait 60
check_output "the OTP has the length the server announced" \
    '"fields": \["otp"\]' grep '"POST", "path": "/v1/sys/replication/dr/secondary/generate-operation-token/attempt"' "$T_TMP/dr.log"
check_output "a mismatched SAS is refused" CK_ERR_SAS_MISMATCH \
    "$CONCLAVE" dr-token accept --state "$C/state" --confirm-sas "one two three four five"
"$CONCLAVE" dr-token accept --state "$C/state" >"$C/accept.out" 2>&1
check_output "without the words: not accepted yet" '^Not accepted yet' cat "$C/accept.out"
check "the command it prints fits 80 columns" \
    awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$C/accept.out"
check_output "and is broken over lines" '\\$' cat "$C/accept.out"
# The witness's copy of the printed command, run as it is.
sed -n '/^  conclave /,$p' "$C/accept.out" >"$C/accept.cmd"
check "the witness confirms the SAS with the printed command, as copied" \
    env PATH="$(dirname "$CONCLAVE"):$PATH" sh "$C/accept.cmd"
check "alice" share "$C" alice 1
check "carol" share "$C" carol 3
check "erin" share "$C" erin 5
check "submit" "$CONCLAVE" dr-token submit --state "$C/state"
check "the bridge answers" wait_envelope "$C" 4 dr-token-result
check_output "result: promoted, ceremony closed" 'The DR secondary was promoted' \
    "$CONCLAVE" dr-token result --state "$C/state"
check "the bridge exits 0" bridge_wait "$C"
check_output "the decoded token is the fixture's" "^$(cat "$T_TMP/dr.port.token")\$" cat "$C/dr-token"
check_output "the token file is 0600" '^600$' stat -c %a "$C/dr-token"
check_output "promote got the decoded token" '"token_matches": true' grep promote "$T_TMP/dr.log"
check_output "each share went with the nonce, once" '^3$' sh -c \
    "grep -c '\"path\": \"/v1/sys/replication/dr/secondary/generate-operation-token/update\", \"fields\": \[\"key\", \"nonce\"\]' '$T_TMP/dr.log'"
no_token() { ! grep -rqF "$(cat "$T_TMP/dr.port.token")" "$C/state" "$C/x"; }
check "the token is in no envelope and not in the transcript" no_token
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "the transcript records the DR endpoint and the promotion" \
    '"type":"dr-token-generated".*"promoted":"sys/replication/dr/secondary/promote"' \
    cat "$C/state/transcript.jsonl"

# --- a server that announces no OTP length: the bridge guesses none ---
check "a second fixture (otp_length 0) listens" dr_fixture dr0 0
D=$T_TMP/dr2
mkdir -p "$D/x"
check "dr-token begin (2)" "$CONCLAVE" dr-token begin --state "$D/state" --exchange "$D/x"
check_output "the bridge refuses to guess an OTP length" \
    'CK_ERR_UNSUPPORTED.*did not announce an OTP length' \
    joined "$BRIDGE" dr-token --exchange "$D/x" --address "http://127.0.0.1:$(cat "$T_TMP/dr0.port")" --wait 5
check_output "no attempt was started on it" '^$' sh -c \
    "grep '\"POST\"' '$T_TMP/dr0.log' || true"

# --- a server with no DR replication (a real OpenBao): the bridge says what
# the refusal likely means and that nothing was started, not only that a
# token is missing ---
bao_start_shamir o1 || { fail "OpenBao starts"; finish; }
check "OpenBao initialised" bao_init o1 3 2
check "and unsealed" bao_unseal o1 "$(bao_share o1 1)" "$(bao_share o1 2)"
E=$T_TMP/dr3
mkdir -p "$E/x"
check "dr-token begin (OpenBao)" "$CONCLAVE" dr-token begin --state "$E/state" --exchange "$E/x"
check_fails "the bridge refuses (exit 1)" sh -c "'$BRIDGE' dr-token --exchange '$E/x' \
    --address '$(bao_addr o1)' --wait 5 >'$E/bridge.out' 2>&1"
check_output "  asking whether it is a Vault Enterprise DR secondary" \
    'is it a Vault Enterprise DR secondary \(OpenBao and Vault without Enterprise have no DR replication.*Nothing was started: abandon the ceremony on the appliance' \
    joined cat "$E/bridge.out"
check "every line the bridge printed fits 80 columns (issue 10)" bridge_fits80
finish
