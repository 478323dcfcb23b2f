#!/usr/bin/env bash
# The unseal ceremony through the guided UI, in tmux with TERM=linux,
# against a real OpenBao (Shamir, initialised with 3 shares, t = 2; the
# holders' sticks hold their shares encrypted to their keys, the form
# init's handout writes) and the real bridge: the witness first types
# wrong words (refused, nothing sealed), then the bridge's; alice gets her
# passphrase wrong once; alice and bob unseal the server. Screens are kept
# (tests/ui/screens/unseal-*.txt), fit 80x24, and never show a share or a
# passphrase.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server s1
ui_room
holder_sticks "$C/sticks" s1
start=$SECONDS

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." begin
ui_keys y
ui_step "Ceremony key" begun
check "bridge unseal offers a session" quorum_bridge_start "$C" unseal \
    --exchange "$C/x" --address "$(bao_addr s1)" --wait 120
ui_keys Enter
ui_step "The bridge's words:" sas
ui_type walt; ui_keys Enter
ui_type "aardvark absurd accrue acme adrift"; ui_keys Enter
ui_step "The words differ" sas-mismatch
# The UI shows no words of its own here: the message names whose words the
# typed ones differ from, not "this screen's".
check_output "  the word that differs is named, against the appliance's words" \
    'word 1 of 5 typed differs from the appliance.s' joined ui_screen
# Other wrong words next: another refusal on the record, not a repeat.
nsas=$(grep -c 'CK_ERR_SAS_MISMATCH' "$T")
ui_type "$(bridge_sas "$C" | sed 's/[^ ]*$/zulu/')"; ui_keys Enter
check "  other wrong words (the last one): refused, naming word 5" ui_wait "word 5 of 5 typed" 10
check_output "  ... and on the record too, naming the word" "^$((nsas + 1))\$" sh -c \
    "grep 'CK_ERR_SAS_MISMATCH' '$T' | grep -c 'word [15] of 5 typed'"
ui_type "$(bridge_sas "$C")"; ui_keys Enter
ui_step "Next holder, your name:" share-name
for n in alice bob; do
	[ "$n" = alice ] || ui_step "Next holder, your name:" "share-$n-name"
	ui_type "$n"; ui_keys Enter
	ui_step "Is $n at the appliance?" "share-$n-ask"
	ui_keys y
	ui_step "$n's stick (folder):" "share-$n-stick"
	ui_keys Enter
	ui_step "passphrase of your key file" "share-$n-pass"
	if [ "$n" = alice ]; then
		ui_type "not-the-passphrase"; ui_keys Enter
		ui_step "Wrong passphrase. Nothing was revealed" "share-$n-wrong" 60
	fi
	ui_type "$PASS"; ui_keys Enter
	ui_step "$n's share is sealed to the bridge session." "share-$n-done" 60
	ui_residue "$n's share sealed" "$(bao_share s1 1)" "$(bao_share s1 2)" "$(bao_share s1 3)" "$PASS" \
	    "not-the-passphrase"
	if [ "$n" = alice ] && [ "$(id -u)" = 0 ] && ! asan_build; then
		printf 'state str:%s\n' "$C/state" >"$T_TMP/ui-control"
		check_output "control: the scan finds the UI's own state folder in its memory" \
		    'found state at' "$BUILD/tests/tools/memscan" "$T_TMP/ui-control" pid "$(ui_pid)"
	fi
	ui_keys Enter
done
ui_step "Submit the shares? Type y." submit
ui_keys y
# Unseal had no witness step: now one or several witnesses review it
# after the nodes are unsealed, before the transcript closes.
ui_review walt review
ui_step "Ceremony closed. Every node is unsealed." summary 60
ui_residue "the summary" "$(bao_share s1 1)" "$(bao_share s1 2)" "$(bao_share s1 3)" "$PASS" "not-the-passphrase"
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
echo "# UI unseal ceremony: $((SECONDS - start)) s"

check_output "the server is unsealed" '^false$' seal_field s1 .sealed
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$T"
check_output "the refused words are on the record" 'CK_ERR_SAS_MISMATCH' cat "$T"
check_output "the witness reviewed after the unseal result, then the close" \
    '^unseal-result witness-confirmation close $' sh -c \
    "jq -r 'select(.type==\"unseal-result\" or .type==\"witness-confirmation\" or .type==\"close\") | .type' '$T' | tr '\n' ' '"
# The SAS mismatch and the wrong passphrase are refusals on the record: the
# summary counts them all (it said "0 deviations" and nothing else).
nref=$(grep -c '"type":"refused"' "$T")
check "the transcript holds the refusals" test "$nref" -ge 2
check_output "the summary counts every refusal on the record" \
    "$nref refusals, 0 deviations, [0-9]+ exceptions in all on the record" \
    sh -c "cat '$UI_SNAPS'/*-summary.txt"
check_output "the witness's confirmed words are on the record" \
    "\"sas\":\"$(bridge_sas "$C")\",\"sas_confirmed\":true" cat "$T"

# The next unseal, chained to this one, which checked no handout: the begin
# screen says plainly that shares are not checked against holders.
ui_stop
mkdir -p "$T_TMP/c2/x"
ui_start env TERM=linux "$CONCLAVE" --state "$T_TMP/c2/state" --exchange "$T_TMP/c2/x" \
    --sticks "$C/sticks" --rehearsal --previous-transcript "$T"
ui_step "Which ceremony is this?" next-start
ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." next-begin
check_output "the begin screen says the previous ceremony checked no handout" \
    'checked no handout; shares are not checked against holders' \
    sh -c "cat '$UI_SNAPS'/*-next-begin.txt | tr '\n' ' ' | sed 's/  */ /g'"
ui_stop
ui_no_secrets "$(bao_share s1 1)" "$(bao_share s1 2)" "$(bao_share s1 3)" "$PASS" "not-the-passphrase"
ui_check_screens unseal
finish
