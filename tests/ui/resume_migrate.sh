#!/usr/bin/env bash
# Resume a seal migration in the guided UI against a real OpenBao
# (Shamir, 3 shares, t = 2, restarted with a `static` seal stanza) and the
# real bridge (conclave-bridge migrate): the UI is killed (kill -9) at each
# step — the ceremony key shown (the bridge's words not yet compared), the
# words compared (no share yet), alice's share sealed, bob's (the submit
# not yet asked), the submit done (the bridge's result awaited), the
# result taken (the witnesses' review) — and each time
# started again on the same state folder, it resumes on that step's
# screen. The server ends on the static seal with recovery shares, the
# transcript verifies with every step once. Screens kept
# (tests/ui/screens/resume-migrate-*.txt), checked to fit 80x24.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server s1
bao_set_seal s1 static
check "restarted with a static seal stanza: it waits for a migration" bao_restart s1
ui_room
holder_sticks "$C/sticks" s1

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys 5
ui_wait "Shamir to auto-unseal, or back" >/dev/null && ui_keys Enter
ui_wait "Begin the seal migration? Type y to begin." >/dev/null && ui_keys y
ui_wait "Ceremony key" >/dev/null
check "bridge migrate offers a session" quorum_bridge_start "$C" migrate \
    --exchange "$C/x" --address "$(bao_addr s1)" --to static --wait 300
ui_resume_at begun "migrate ceremony" "(phase requested)"
ui_step "The bridge's words:" resumed-sas
ui_type walt; ui_keys Enter
ui_type "$(bridge_sas "$C")"; ui_keys Enter
ui_wait "Next holder, your name:" >/dev/null
ui_resume_at sas-compared "migrate ceremony" "(phase confirmed)"
check "no share sealed yet" ui_wait "Shares sealed to the bridge: 0 of 2" 10
ui_quorum_turn alice "$PASS" alice
ui_resume_at share "migrate ceremony" "(phase confirmed)"
check "alice's share counts" ui_wait "Shares sealed to the bridge: 1 of 2" 10
ui_quorum_turn bob "$PASS" bob
ui_wait "Submit the shares? Type y." >/dev/null
ui_resume_at shares "migrate ceremony" "(phase confirmed)"
ui_step "Submit the shares? Type y." resumed-submit
# The bridge held (SIGSTOP) until the UI waits for the result: killed
# there, the UI resumes on that wait, and the result is taken once.
kill -STOP "$(cat "$C/bridge.pid")"
ui_keys y
ui_wait "Waiting for the nodes' results" 30 >/dev/null
ui_resume_at submitted "migrate ceremony" "(phase submitted)"
ui_step "Waiting for the nodes' results" resumed-waiting
kill -CONT "$(cat "$C/bridge.pid")"
ui_wait "Witness, your name:" 90 >/dev/null
ui_resume_at review "migrate ceremony" "At its last step: the witnesses' review."
ui_review walt review 90
ui_step "Ceremony closed. Auto-unseal: your shares are RECOVERY" summary 90
check "the bridge exits 0" bridge_wait "$C"
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check_output "the server is unsealed on the static seal, recovery shares" \
    '^false static true$' seal_field s1 '"\(.sealed) \(.type) \(.recovery_seal)"'
transcript_once "$T"
check_output "it names the seal before and after" '"seal":{"from":"shamir","to":"static"}' cat "$T"
check_output "each step once: request, offer, two shares, submit, result, review, close" \
    '^unseal-request-sent session-offer-accepted share-sealed share-sealed shares-submitted unseal-result witness-confirmation close $' \
    sh -c "jq -r 'select(.type != \"open\" and .type != \"refused\" and .type != \"deviation\") | .type' '$T' | tr '\n' ' '"
ui_no_secrets "$(bao_share s1 1)" "$(bao_share s1 2)" "$(bao_share s1 3)" "$PASS"
ui_check_screens resume-migrate
finish
