#!/usr/bin/env bash
# Resume an unseal in the guided UI against a real OpenBao and the real
# bridge: the UI is killed (kill -9) after alice's share is sealed,
# started again on the same state folder, shows the open ceremony and
# resumes on the next holder's turn (alice's turn already taken: she is
# refused); bob's share, the submit; killed again at the witnesses'
# review, started again, resumed into the review, closed. The server is
# unsealed, the transcript verifies with every step once. Screens kept
# (tests/ui/screens/resume-unseal-*.txt), checked to fit 80x24.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server s1
ui_room
holder_sticks "$C/sticks" s1
share() {
	ui_type "$1"; ui_keys Enter
	ui_wait "Is $1 at the appliance?" >/dev/null
	ui_keys y
	ui_wait "$1's stick (folder):" >/dev/null
	ui_keys Enter
	ui_wait "passphrase of your key file" >/dev/null
	ui_type "$PASS"; ui_keys Enter
}

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys Down Enter
ui_wait "Begin the unseal ceremony? Type y to begin." >/dev/null
ui_keys y
ui_wait "Ceremony key" >/dev/null
check "bridge unseal offers a session" quorum_bridge_start "$C" unseal \
    --exchange "$C/x" --address "$(bao_addr s1)" --wait 120
ui_keys Enter
ui_wait "The bridge's words:" >/dev/null
ui_type walt; ui_keys Enter
ui_type "$(bridge_sas "$C")"; ui_keys Enter
ui_wait "Next holder, your name:" >/dev/null
share alice
ui_step "alice's share is sealed to the bridge session." alice-done 60

ui_resume_at share "unseal ceremony" "At step 4 (phase confirmed)"
ui_step "Next holder, your name:" resumed-share
check "the share already sealed counts" ui_wait "Shares sealed to the bridge: 1 of 2" 2
ui_type alice; ui_keys Enter
ui_wait "Is alice at the appliance?" >/dev/null && ui_keys y
ui_wait "alice's stick (folder):" >/dev/null && ui_keys Enter
check "alice's turn was taken before the kill: refused" \
    ui_wait "CK_ERR_SAME_HOLDER" 60
check_output "  at her stick, before any passphrase is asked" \
    'This holder.s share is sealed already' joined ui_screen
check_fails "  (no passphrase prompt)" sh -c \
    "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'passphrase of your key file'"
ui_wait "Next holder, your name:" 10 >/dev/null || ui_keys Escape
ui_wait "Next holder, your name:" 10 >/dev/null
share bob
ui_step "bob's share is sealed to the bridge session." bob-done 60
ui_keys Enter
ui_step "Submit the shares? Type y." submit
ui_keys y
ui_wait "Witness, your name:" 60 >/dev/null

# In review its irreversible steps are done: no abandon is offered.
ui_resume_at review "unseal ceremony" "At its last step: the witnesses' review." \
    "Enter resume  Ctrl-Q leave"
ui_review walt review
ui_step "Ceremony closed. Every node is unsealed." summary 60
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check_output "the server is unsealed" '^false$' seal_field s1 .sealed
transcript_once "$T"
check_output "each step once: request, offer, two shares, submit, result, review, close" \
    '^unseal-request-sent session-offer-accepted share-sealed share-sealed shares-submitted unseal-result witness-confirmation close $' \
    sh -c "jq -r 'select(.type != \"open\" and .type != \"refused\" and .type != \"deviation\") | .type' '$T' | tr '\n' ' '"
ui_check_screens resume-unseal
finish
