#!/usr/bin/env bash
# Resume a DR operation token ceremony in the guided UI against the local
# DR fixture (tests/fixtures/vault_dr.py: no Vault Enterprise runs here, as
# in tests/ui/dr_token.sh) and the real bridge: the UI is killed (kill -9)
# at each step — the ceremony key shown (the bridge's words not yet
# compared), the words compared (no share yet), after each of the three
# holders' shares (the submit not yet asked after the last), the submit
# done (the bridge's result awaited, the bridge held meanwhile), the
# result taken (the witnesses' review) — and each time started again on the same
# state folder, it resumes on that step's screen. The token is issued and
# the secondary promoted once, the transcript verifies with every step
# once, and it says as an unbroken run does that the token was issued.
# Screens kept (tests/ui/screens/resume-dr-token-*.txt), fit 80x24.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

check "the DR fixture listens" dr_fixture dr 28
addr="http://127.0.0.1:$(cat "$T_TMP/dr.port")"
ui_room
holder_sticks "$C/sticks" dr	# the fixture's keys, as bao_init's

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys 7
ui_wait "DR operation token (Vault Enterprise)" >/dev/null && ui_keys Enter
ui_wait "Why (the incident):" >/dev/null
ui_type "primary region lost"; ui_keys Enter
ui_wait "Type the authoriser" >/dev/null
ui_type "walt"; ui_keys Enter
ui_wait "Begin the DR operation token ceremony? Type y to begin." >/dev/null && ui_keys y
ui_wait "Ceremony key" >/dev/null
check "the bridge starts the attempt and offers a session" quorum_bridge_start "$C" \
    dr-token --exchange "$C/x" --address "$addr" --token-out "$C/dr-token" --promote --wait 300
ui_resume_at begun "dr-token ceremony" "(phase requested)"
ui_step "The bridge's words:" resumed-sas
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter
ui_wait "Next holder, your name:" >/dev/null
ui_resume_at sas-compared "dr-token ceremony" "(phase confirmed)"
check "no share sealed yet" ui_wait "Shares sealed to the bridge: 0 of 3" 10
n=0
for h in alice bob; do
	ui_quorum_turn "$h" "$PASS" "$h"
	n=$((n + 1))
	ui_resume_at "share-$h" "dr-token ceremony" "(phase confirmed)"
	check "the shares sealed so far count ($h)" ui_wait "Shares sealed to the bridge: $n of 3" 10
done
ui_quorum_turn carol "$PASS" carol
ui_wait "Submit the shares? Type y." >/dev/null
ui_resume_at shares "dr-token ceremony" "(phase confirmed)"
ui_step "Submit the shares? Type y." resumed-submit
# The bridge held (SIGSTOP) until the UI waits for the result: killed
# there, the UI resumes on that wait, and the result is taken once.
kill -STOP "$(cat "$C/bridge.pid")"
ui_keys y
ui_wait "Waiting for the DR operation token to be issued to the operator" 30 >/dev/null
ui_resume_at submitted "dr-token ceremony" "(phase submitted)"
ui_step "Waiting for the DR operation token to be issued to the operator" resumed-waiting
kill -CONT "$(cat "$C/bridge.pid")"
ui_wait "Witness, your name:" 60 >/dev/null
ui_resume_at review "dr-token ceremony" "At its last step: the witnesses' review."
ui_review walt review
ui_step "Ceremony closed. The DR operation token was issued." summary 60
check "the bridge exits 0" bridge_wait "$C"
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

tok=$(cat "$T_TMP/dr.port.token")
check_output "the operator's decoded token is the fixture's" "^$tok\$" cat "$C/dr-token"
check_output "promoted once, with the decoded token" '^1 1$' sh -c \
    "echo \$(grep -c promote '$T_TMP/dr.log') \$(grep promote '$T_TMP/dr.log' | grep -c '\"token_matches\": true')"
no_token() { ! grep -rqF "$tok" "$C/state" "$C/x"; }
check "the token is in no envelope and not in the transcript" no_token
transcript_once "$T"
check_output "each step once: request, authorised, offer, three shares, submit, token, review, close" \
    '^request-sent break-glass-authorised session-offer-accepted share-sealed share-sealed share-sealed shares-submitted dr-token-generated witness-confirmation close $' \
    sh -c "jq -r 'select(.type != \"open\" and .type != \"refused\" and .type != \"deviation\") | .type' '$T' | tr '\n' ' '"
ui_no_secrets "$PASS" "$tok" "$(jq -r '.keys[0]' "$T_TMP/bao/dr/init.json")"
ui_check_screens resume-dr-token
finish
