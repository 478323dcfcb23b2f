#!/usr/bin/env bash
# The seal migration through the guided UI, in tmux with TERM=linux, against
# a real OpenBao (Shamir, 3 shares, t = 2) restarted with a `static` seal
# stanza, and the real bridge (conclave-bridge migrate): the fifth choice of
# the start screen, the witness's words, alice and bob, the submission, and
# the summary telling the room that their shares are recovery shares now.
# Screens are kept (tests/ui/screens/migrate-*.txt), fit 80x24, and never
# show a share or a passphrase.
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
ui_step "Shamir to auto-unseal, or back" choice
ui_keys Enter
ui_step "Begin the seal migration? Type y to begin." begin
ui_keys y
ui_step "Ceremony key" begun
check "bridge migrate offers a session" quorum_bridge_start "$C" migrate \
    --exchange "$C/x" --address "$(bao_addr s1)" --to static --wait 120
ui_keys Enter
ui_step "The bridge's words:" sas
ui_type walt; ui_keys Enter
ui_type "$(bridge_sas "$C")"; ui_keys Enter
for n in alice bob; do
	ui_step "Next holder, your name:" "share-$n-name"
	ui_type "$n"; ui_keys Enter
	ui_step "Is $n at the appliance?" "share-$n-ask"
	ui_keys y
	ui_step "$n's stick (folder):" "share-$n-stick"
	ui_keys Enter
	ui_step "passphrase of your key file" "share-$n-pass"
	ui_type "$PASS"; ui_keys Enter
	ui_step "$n's share is sealed to the bridge session." "share-$n-done" 60
	ui_keys Enter
done
ui_step "Submit the shares? Type y." submit
ui_keys y
ui_review walt review 90
ui_step "Ceremony closed. Auto-unseal: your shares are RECOVERY" summary 90
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check_output "the server is unsealed on the static seal, recovery shares" \
    '^false static true$' seal_field s1 '"\(.sealed) \(.type) \(.recovery_seal)"'
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$T"
check_output "it names the seal before and after" '"seal":{"from":"shamir","to":"static"}' cat "$T"
ui_no_secrets "$(bao_share s1 1)" "$(bao_share s1 2)" "$(bao_share s1 3)" "$PASS"
ui_check_screens migrate
finish
