#!/usr/bin/env bash
# Resume a root-token regeneration in PGP mode in the guided UI against a
# real OpenBao and the real bridge: the UI is killed (kill -9) once the
# token is issued encrypted to olga's key (its revocation awaited) and
# started again on the same state folder: the result screen names the
# recipient (olga, kept in the session, not only in the killed process's
# memory) and her key's fingerprint as an unbroken run does, never an OTP
# mode's accessor. The token is revoked, the transcript verifies with
# every step once. Screens kept (tests/ui/screens/resume-gr-pgp-*.txt).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server g1 unsealed --legacy-generate-root
addr=$(bao_addr g1)
ui_room keys
cp "$KEYS/operator.asc" "$C/keys/operator-olga.asc"
holder_sticks "$C/sticks" g1
fpr=$(gpg --with-colons --import-options show-only --import "$KEYS/operator.asc" 2>/dev/null |
    awk -F: '/^fpr/ {print tolower($10); exit}')

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys 6
ui_wait "Regenerate a root token (PGP mode)" >/dev/null && ui_keys Enter
ui_wait "Why (the incident):" >/dev/null
ui_type "INC-99 lost root"; ui_keys Enter
ui_wait "Type the authoriser" >/dev/null
ui_type "walt"; ui_keys Enter
ui_wait "Who may read the token?" >/dev/null && ui_keys Enter
ui_wait "Token for:      olga" >/dev/null && ui_keys y
ui_wait "Ceremony key" >/dev/null
check "the bridge starts the attempt (PGP mode) and offers a session" \
    quorum_bridge_start_token "$C" generate-root --exchange "$C/x" --address "$addr" --wait 60
ui_keys Enter
ui_wait "The bridge's words:" >/dev/null
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter
ui_quorum_turn alice "$PASS"
ui_quorum_turn bob "$PASS"
ui_wait "Submit the shares? Type y." >/dev/null && ui_keys y
ui_step "A new root token was issued, encrypted to the key of" issued 60
check_output "the screen names olga and her key's fingerprint" "olga.*$fpr" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tr '\n' ' '"
ui_resume_at issued "generate-root ceremony"
ui_step "A new root token was issued, encrypted to the key of" resumed-issued
check_output "after the restart: olga and her key's fingerprint again" "olga.*$fpr" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tr '\n' ' '"
check_fails "  and no OTP mode's accessor line" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | grep -q accessor"
ptok=$(base64_after '^New root token, encrypted' "$C/bridge.out" | base64 -d |
    gpg_decrypt_as operator "$KEYS/operator.sec.asc")
quorum_give_token "$C" "$ptok"
check "the bridge revokes it" bridge_wait "$C"
ui_review walt review
ui_step "Ceremony closed. The new root token is revoked." summary 60
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check_output "the token no longer works" '^$' sh -c \
    "curl -s -H 'X-Vault-Token: $ptok' '$addr/v1/auth/token/lookup-self' | jq -r '.data.policies // empty'"
transcript_once "$T"
check_output "one token issued, one revocation" '^1 1$' sh -c \
    "echo \$(grep -c '\"type\":\"root-token-generated\"' '$T') \$(grep -c '\"type\":\"root-token-revoked\"' '$T')"
ui_no_secrets "$PASS" "$ptok"
ui_check_screens resume-gr-pgp
finish
