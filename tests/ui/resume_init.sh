#!/usr/bin/env bash
# Resume an init in the guided UI against a real OpenBao and the real
# bridge: the UI is killed (kill -9) after the begin (before the bridge
# has answered), after alice's handout, and at the witnesses' review;
# each time it is started again on the same state folder, shows the open
# ceremony and resumes on the next step's screen (the result awaited, bob
# and carol's handouts with alice's done, the review). The shares unseal
# the server, the root token is revoked, and the transcript verifies with
# every step once. Screens kept (tests/ui/screens/resume-init-*.txt).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
ui_room keys
init_folders "$C"
names=(alice bob carol)
handout() {
	ui_wait "Is $1 at the appliance?" 30 >/dev/null || ui_keys o "$2"
	ui_step "Is $1 at the appliance?" "handout-$1"
	ui_keys y
	ui_wait "Holder's stick (folder):" >/dev/null
	ui_keys Enter
	ui_wait "passphrase of your key file" 60 >/dev/null
	ui_type "$PASS"; ui_keys Enter
	ui_step "is on $1's stick and proven" "handout-$1-done" 60
}

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys Enter
ui_wait "3 holders, 1 operator, 1 witnesses" >/dev/null
ui_keys Enter
ui_wait "How many of them are needed" >/dev/null
ui_keys BSpace; ui_type 2; ui_keys Enter
ui_wait "Key 1 of 5" >/dev/null
for k in 2 3 4 5; do ui_keys y; ui_wait "Key $k of 5" >/dev/null; done
ui_keys y
ui_wait "Begin the init ceremony? Type y to begin." >/dev/null
ui_keys y
ui_wait "Ceremony key" >/dev/null

ui_resume_at begun "init ceremony"
ui_step "Ceremony key" resumed-result
check "bridge init answers the resumed request" \
    bridge_init_start "$C" "$(bao_addr s1)" "$(ui_key_words)"
ui_step "Init result accepted." accepted
ui_keys Enter
handout alice 1
ui_resume_at handout "init ceremony" "At step 7 (phase accepted)"
check "alice's handout counts" ui_wait "Shares handed out and proven: 1 of 3" 10
handout bob 2
ui_keys Enter
handout carol 3
ui_keys Enter
ui_step "Waiting for the closing result" closing
shares=()
for k in 1 2 3; do
	n=${names[$k - 1]}
	shares+=("$(gpg_decrypt_as "holder$k" "$KEYS/holder$k.sec.asc" <"$C"/sticks/"$n"/*.gpg)")
done
check "bob's and carol's shares unseal the server" bao_unseal s1 "${shares[1]}" "${shares[2]}"
check "bridge revokes the root token" bridge_init_finish "$C" "$(operator_root_token "$C")"
ui_wait "Witness" 60 >/dev/null
ui_resume_at review "init ceremony" "the witnesses' review"
ui_review walt review
ui_step "Ceremony closed. The initial root token is revoked." summary 60
ui_keys q q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

transcript_once "$T"
check_output "each step once: request, five keys confirmed, result, three handouts, revocation, review, close" \
    '^init-request-sent (fingerprint-confirmed ){5}init-result-accepted share-handed-out share-handed-out share-handed-out root-token-revoked witness-confirmation close $' \
    sh -c "jq -r 'select(.type != \"open\" and .type != \"roster\" and .type != \"refused\" and .type != \"deviation\") | .type' '$T' | tr '\n' ' '"
ui_check_screens resume-init
finish
