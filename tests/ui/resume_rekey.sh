#!/usr/bin/env bash
# Resume a rekey in the guided UI against a real OpenBao and the real
# bridge: the UI is killed (kill -9) after alice's old share, after alice's
# handout of her new one, and after the last handout; each time it is
# started again on the same state folder and resumes on the next step's
# screen (bob's old share, bob's and carol's handouts with alice's done,
# the check of all new shares offered again as after an unbroken last
# handout, then the new holders' verification). The rekey is verified and the transcript
# verifies with every step once. Screens kept (tests/ui/screens/resume-rekey-*.txt).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server k1 unsealed --legacy-rekey
ui_room keys
holder_sticks "$C/sticks" k1
cp "$KEYS/holder1.asc" "$C/keys/holder-alice.asc"
cp "$KEYS/holder2.asc" "$C/keys/holder-bob.asc"
cp "$KEYS/holder3.asc" "$C/keys/holder-carol.asc"
handout() {
	ui_step "Is $1 at the appliance?" "handout-$1" 60
	ui_keys y
	ui_wait "Holder's stick (folder):" >/dev/null && ui_keys Enter
	ui_wait "passphrase of your key file" >/dev/null
	ui_type "$PASS"; ui_keys Enter
	ui_step "is on $1's stick and proven" "handout-$1-done" 60
}

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys Down Down Enter
ui_wait "3 holders, 0 operator, 0 witnesses" >/dev/null
ui_keys Enter
ui_wait "How many of them are needed" >/dev/null
ui_keys Enter
for k in 1 2 3; do ui_wait "Key $k of 3" >/dev/null && ui_keys y; done
ui_wait "Begin the rekey ceremony? Type y to begin." >/dev/null
ui_keys y
ui_wait "Ceremony key" >/dev/null
check "the bridge starts the rekey and offers a session" quorum_bridge_start "$C" \
    rekey --exchange "$C/x" --address "$(bao_addr k1)" --wait 300
ui_keys Enter
ui_wait "The bridge's words:" >/dev/null
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter
ui_quorum_turn alice "$PASS" old-alice
ui_resume_at old-share "rekey ceremony"
ui_quorum_turn bob "$PASS" old-bob
ui_step "Submit the shares? Type y." submit-old
ui_keys y
handout alice
ui_resume_at handout "rekey ceremony" "At step"
check "alice's handout counts" ui_wait "Shares handed out and proven: 1 of 3" 10
handout bob
ui_keys Enter
handout carol
ui_resume_at handouts-done "rekey ceremony"
# As after an unbroken last handout: the check of all new shares is
# offered first (not straight to the verification), and it runs.
ui_step "Start the check? Type y." resumed-check-intro
check "it can be skipped for the verification" ui_wait "Esc skip it: verify the rekey" 2
ui_keys y
for n in alice bob carol; do
	ui_wait "Is $n at the appliance?" >/dev/null && ui_keys y
	ui_wait "Holder's stick (folder):" >/dev/null && ui_keys Enter
	ui_wait "passphrase of your key file" >/dev/null
	ui_type "$PASS"; ui_keys Enter
done
ui_step "All new shares agree: any 2 of them open the new key." check-done 60
ui_keys Enter
ui_step "NEW shares sealed (verification):" verify 30
ui_quorum_turn alice "$PASS" new-alice
ui_quorum_turn bob "$PASS" new-bob
ui_step "Submit the shares? Type y." submit-new
ui_keys y
ui_review walt review
ui_step "Ceremony closed. The new shares are verified" summary 60
ui_keys q q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

transcript_once "$T"
check_output "four shares sealed, three handouts, one verification" '^4 3 1$' sh -c \
    "echo \$(grep -c '\"type\":\"share-sealed\"' '$T') \$(grep -c '\"type\":\"share-handed-out\"' '$T') \$(grep -c '\"type\":\"rekey-verified\"' '$T')"
check_output "the check of all new shares is on the record, once" '^1$' sh -c \
    "jq -r .type '$T' | grep -cx all-shares-check"
ui_check_screens resume-rekey
finish
