#!/usr/bin/env bash
# The DR operation token ceremony through the guided UI (choice 7), in tmux
# with TERM=linux, against a LOCAL HTTP FIXTURE (tests/fixtures/vault_dr.py):
# no Vault Enterprise server runs here, so the fixture replays the shapes
# Vault documents for sys/replication/dr/secondary/generate-operation-token
# and .../promote (as tests/integration/dr_token_ceremony.sh). It proves the
# appliance side: the reason and the authoriser on the record, the SAS
# witness, three holders' shares, the promotion, the ceremony closed on the
# result; the token never on the appliance's screens or in its files.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

check "the DR fixture listens" dr_fixture dr 28
addr="http://127.0.0.1:$(cat "$T_TMP/dr.port")"
ui_room
holder_sticks "$C/sticks" dr	# the fixture's keys, as bao_init's
start=$SECONDS

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys 7
ui_step "DR operation token (Vault Enterprise)" choice
ui_keys Enter
ui_step "Why (the incident):" reason
ui_type "primary region lost"; ui_keys Enter
ui_wait "Type the authoriser" >/dev/null
ui_type "walt"; ui_keys Enter
ui_step "Begin the DR operation token ceremony? Type y to begin." begin
check "nothing is written before the ceremony begins" test ! -e "$C/state/transcript.jsonl"
ui_keys y
ui_step "Ceremony key" begun
check "the bridge starts the attempt and offers a session" quorum_bridge_start "$C" \
    dr-token --exchange "$C/x" --address "$addr" --token-out "$C/dr-token" --promote --wait 60
ui_keys Enter
ui_step "The bridge's words:" sas
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter
for n in alice bob carol; do ui_quorum_turn "$n" "$PASS" "$n"; done
ui_step "Submit the shares? Type y." submit
ui_keys y
ui_review walt review
ui_step "Ceremony closed. The DR operation token was issued." summary 60
check "the bridge exits 0" bridge_wait "$C"
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
echo "# UI dr-token ceremony: $((SECONDS - start)) s"

tok=$(cat "$T_TMP/dr.port.token")
check_output "the operator's decoded token is the fixture's" "^$tok\$" cat "$C/dr-token"
check_output "promote got the decoded token" '"token_matches": true' grep promote "$T_TMP/dr.log"
no_token() { ! grep -rqF "$tok" "$C/state" "$C/x"; }
check "the token is in no envelope and not in the transcript" no_token
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "it is a dr-token transcript with the promotion" \
    '"type":"dr-token-generated".*"promoted":"sys/replication/dr/secondary/promote"' \
    cat "$C/state/transcript.jsonl"
check_output "the reason and the authoriser are on the record" \
    '"type":"break-glass-authorised".*"actor":"walt".*"reason":"primary region lost"' \
    grep break-glass-authorised "$C/state/transcript.jsonl"
ui_no_secrets "$PASS" "$tok" "$(jq -r '.keys[0]' "$T_TMP/bao/dr/init.json")"
ui_check_screens dr-token
finish
