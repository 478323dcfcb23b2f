#!/usr/bin/env bash
# Root-token regeneration in PGP mode through the guided UI (choice 6), in
# tmux with TERM=linux, against a real OpenBao and the real bridge: the
# reason and authoriser on the record; the recipient picked from the key
# folder (a file that is no key is refused and nothing is written; then
# olga's key, shown with its fingerprint); SAS; alice and bob's shares; the
# server encrypts the token to olga's key, which opens it (a working root
# token); it is given back, revoked, and the ceremony closes.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server g1 unsealed --legacy-generate-root
addr=$(bao_addr g1)
ui_room keys
echo "not an OpenPGP key" >"$C/keys/0broken.asc"
cp "$KEYS/operator.asc" "$C/keys/operator-olga.asc"
holder_sticks "$C/sticks" g1 2
fpr=$(gpg --with-colons --import-options show-only --import "$KEYS/operator.asc" 2>/dev/null |
    awk -F: '/^fpr/ {print tolower($10); exit}')
start=$SECONDS

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys 6
ui_step "Regenerate a root token (PGP mode)" choice
ui_keys Enter
ui_step "Why (the incident):" reason
ui_type "INC-99 lost root"; ui_keys Enter
ui_wait "Type the authoriser" >/dev/null
ui_type "walt"; ui_keys Enter
ui_step "Who may read the token?" recipient
ui_keys Enter
ui_step "0broken.asc: " recipient-refused
check "a file that is no key writes nothing" test ! -e "$C/state"
ui_keys Down Enter
ui_step "Token for:      olga" begin
check_output "the confirmation shows olga's fingerprint" "key $fpr" ui_screen
ui_keys y
ui_step "Ceremony key" begun
check "the bridge starts the attempt (PGP mode) and offers a session" \
    quorum_bridge_start_token "$C" generate-root --exchange "$C/x" --address "$addr" --wait 60
ui_keys Enter
ui_step "The bridge's words:" sas
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter
for n in alice bob; do ui_quorum_turn "$n" "$PASS"; done
ui_step "Submit the shares? Type y." submit
ui_keys y
ui_step "A new root token was issued, encrypted to" issued 60
check_output "the screen names olga's fingerprint" "$fpr" ui_screen
ptok=$(base64_after '^New root token, encrypted' "$C/bridge.out" | base64 -d |
    gpg_decrypt_as operator "$KEYS/operator.sec.asc")
check_output "olga's key opens a working root token" '^root$' sh -c \
    "curl -s -H 'X-Vault-Token: $ptok' '$addr/v1/auth/token/lookup-self' | jq -r '.data.policies | join(\",\")'"
quorum_give_token "$C" "$ptok"
check "the bridge revokes it" bridge_wait "$C"
ui_review walt review
ui_step "Ceremony closed. The new root token is revoked." summary 60
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
echo "# UI generate-root (PGP) ceremony: $((SECONDS - start)) s"

check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$T"
check_output "the request names olga's key" "\"pgp_fingerprint\":\"$fpr\"" \
    grep -m1 request-sent "$T"
check_output "the reason and the authoriser are on the record" \
    '"type":"break-glass-authorised".*"actor":"walt".*"reason":"INC-99 lost root"' \
    grep break-glass-authorised "$T"

# A second one whose token is never given back (the operator's input ends):
# the bridge, which never held it (PGP mode), says it is NOT revoked, and
# the summary says who can revoke it. The appliance was never told its
# accessor in PGP mode, so the summary does not send the room to look for
# one on the record.
D=$T_TMP/d
mkdir -p "$D/x"
ui_stop
ui_start env TERM=linux "$CONCLAVE" --state "$D/state" --exchange "$D/x" \
    --keys "$C/keys" --sticks "$C/sticks" --rehearsal
ui_wait "Which ceremony is this?" >/dev/null && ui_keys 6 Enter
ui_wait "Why (the incident):" >/dev/null && { ui_type "INC-100"; ui_keys Enter; }
ui_wait "Type the authoriser" >/dev/null && { ui_type "walt"; ui_keys Enter; }
ui_wait "Who may read the token?" >/dev/null && ui_keys Down Enter
ui_wait "Token for:      olga" >/dev/null && ui_keys y
ui_wait "Ceremony key" >/dev/null
check "(2) the bridge offers a session" quorum_bridge_start_token "$D" generate-root \
    --exchange "$D/x" --address "$addr" --wait 60
ui_keys Enter
ui_wait "The bridge's words:" >/dev/null
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$D")"; ui_keys Enter
for n in alice bob; do ui_quorum_turn "$n" "$PASS"; done
ui_wait "Submit the shares? Type y." >/dev/null && ui_keys y
check "(2) the token is issued" ui_wait "A new root token was issued, encrypted to" 60
fd=$(cat "$D/token.fd"); eval "exec $fd>&-"
check_fails "(2) the bridge cannot revoke a token it never held: exit 1" bridge_wait "$D"
check "(2) the ceremony closes as failed: NOT revoked" \
    ui_wait "Failed: the new root token is NOT revoked." 60
check_output "(2) the summary says its recipient revokes it, PGP mode: no accessor here" \
    'Its recipient revokes it on the server \(PGP mode: no accessor here\)' ui_screen
check_output "(2) ... and no accessor is on the record to send the room to" '^0$' \
    sh -c "grep -c accessor '$D/state/transcript.jsonl'"
ui_no_secrets "$(bao_share g1 1)" "$(bao_share g1 2)" "$PASS" "$ptok"
ui_check_screens generate-root-pgp
finish
