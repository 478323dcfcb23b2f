#!/usr/bin/env bash
# Resume a root-token regeneration in the guided UI against a real
# OpenBao and the real bridge: the UI is killed (kill -9) after alice's
# share, and again once the new token is issued (its revocation awaited);
# each time it is started again on the same state folder and resumes on
# the next step's screen. The token is revoked, the transcript verifies
# with every step once. Screens kept (tests/ui/screens/resume-gr-*.txt).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server g1 unsealed --legacy-generate-root
addr=$(bao_addr g1)
ui_room
holder_sticks "$C/sticks" g1

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys Down Down Down Enter
ui_wait "Why (the incident):" >/dev/null
ui_type "INC-4712 resumed"; ui_keys Enter
ui_wait "Type the authoriser" >/dev/null
ui_type "walt"; ui_keys Enter
ui_wait "Begin the root-token ceremony? Type y to begin." >/dev/null
ui_keys y
ui_wait "Ceremony key" >/dev/null
check "the bridge starts the attempt and offers a session" quorum_bridge_start_token "$C" \
    generate-root --exchange "$C/x" --address "$addr" --token-out "$C/new-token" --wait 60
ui_keys Enter
ui_wait "The bridge's words:" >/dev/null
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter
ui_quorum_turn alice "$PASS" alice
ui_resume_at share "generate-root ceremony"
ui_quorum_turn bob "$PASS" bob
ui_step "Submit the shares? Type y." submit
ui_keys y
ui_wait "A new root token was issued" 60 >/dev/null
ui_resume_at issued "generate-root ceremony"
ui_step "A new root token was issued" resumed-issued
tok=$(cat "$C/new-token")
quorum_give_token "$C" "$tok"
check "the bridge revokes it" bridge_wait "$C"
ui_review walt review
ui_step "Ceremony closed. The new root token is revoked." summary 60
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check_output "the token no longer works" '^$' sh -c \
    "curl -s -H 'X-Vault-Token: $tok' '$addr/v1/auth/token/lookup-self' | jq -r '.data.policies // empty'"
transcript_once "$T"
check_output "two shares sealed, one token issued, one revocation" '^2 1 1$' sh -c \
    "echo \$(grep -c '\"type\":\"share-sealed\"' '$T') \$(grep -c '\"type\":\"root-token-generated\"' '$T') \$(grep -c '\"type\":\"root-token-revoked\"' '$T')"
ui_check_screens resume-gr
finish
