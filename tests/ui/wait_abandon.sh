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

# A bridge started again says its session cannot go on and tells the room
# to abandon ("a on its wait screen"): a waiting screen takes a at once,
# without sitting out the wait (here 600 s); n goes back to the wait itself.
D=$T_TMP/d
mkdir -p "$D/x"
ui_stop
ui_start env TERM=linux "$CONCLAVE" --state "$D/state" --exchange "$D/x" \
    --rehearsal --wait 600
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Down Enter
ui_wait "Begin the unseal ceremony? Type y to begin." >/dev/null && ui_keys y
ui_wait "Ceremony key" >/dev/null && ui_keys Enter
check "a waiting screen offers a abandon in its hints" ui_wait "v scan QR  a abandon" 10
ui_keys a
check "a asks to abandon at once, before the wait is over" ui_wait "Abandon the ceremony?" 5
ui_keys n
check "n goes back to the waiting screen, not the wait's end" ui_wait "v scan QR  a abandon" 5
check_fails "  (no 'r keep waiting': the wait is not over)" sh -c \
    "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'r keep waiting'"
ui_keys a
ui_wait "Abandon the ceremony?" 5 >/dev/null && ui_keys y
check "abandoned: closed and signed" ui_wait "Ceremony closed. Abandoned" 10
check_output "  the transcript verifies as abandoned" 'ceremony: unseal, abandoned: ' \
    "$CONCLAVE" verify "$D/state/transcript.jsonl"
ui_check_screens wait
finish
