#!/usr/bin/env bash
# No dead ends: a screen waiting for the bridge (here the unseal's session
# offer, with no bridge running) offers, after --wait seconds, to keep
# waiting or to abandon, and says what to do on the operator's
# workstation; abandoning closes the ceremony with a signed transcript
# that says abandoned and why. No server is needed. Screens kept
# (tests/ui/screens/wait-*.txt) and checked to fit 80x24.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/uidrive.sh"

C=$T_TMP/c
mkdir -p "$C/x"
ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --rehearsal --wait 3
ui_step "Which ceremony is this?" start
ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." begin
ui_keys y
ui_step "Ceremony key" begun
ui_keys Enter
ui_step "No answer from the bridge yet." waiting 20
check "it says what to do on the other machine" ui_wait "conclave-bridge unseal, with this exchange" 2
ui_keys r
check "r keeps waiting" ui_wait "Waiting" 5
ui_step "No answer from the bridge yet." waiting-again 20
ui_keys a
ui_step "Abandon the ceremony?" abandon-confirm
ui_keys n
check "n goes back to the wait" ui_wait "r keep waiting" 5
ui_keys a
ui_wait "Abandon the ceremony?" 5 >/dev/null
ui_keys y
ui_step "Ceremony closed. Abandoned" summary 10
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

T=$C/state/transcript.jsonl
check_output "the transcript verifies as abandoned, with why" \
    'ceremony: unseal, abandoned: no answer from the bridge' "$CONCLAVE" verify "$T"
check_output "the bridge is told (a closing request on the stick)" \
    'closing-request' ls "$C"/x/*/
ui_check_screens wait
finish
