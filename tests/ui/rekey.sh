#!/usr/bin/env bash
# The rekey ceremony through the guided UI, in tmux with TERM=linux,
# against a real OpenBao (Shamir, 3 shares, t = 2, the legacy sys/rekey
# endpoints open) and the real bridge: carol leaves and dave joins. The
# witness confirms the SAS; alice and bob give their old shares; alice,
# bob and dave receive new shares with decrypt proofs; the room asks for
# the check of all new shares (c after the last handout: each new holder
# once more, a wrong passphrase changes nothing); alice and bob's new
# shares verify the rekey. Screens kept (tests/ui/screens/rekey-*.txt),
# fitting 80x24, never showing a share or a passphrase.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server k1 unsealed --legacy-rekey
ui_room keys
old=(alice bob carol)
for k in 1 2 3; do
	d=$C/sticks/${old[$k - 1]}
	mkdir -p "$d"
	# init's handout name, sorting before any new one
	encrypt_share "$k" "$(bao_share k1 "$k")" >"$d/conclave-00000000-share-$k.gpg"
	cp "$KEYS/holder$k.sec.asc" "$d/"
done
mkdir -p "$C/sticks/dave"
cp "$KEYS/holder4.sec.asc" "$C/sticks/dave/"
cp "$KEYS/holder1.asc" "$C/keys/holder-1alice.asc"
cp "$KEYS/holder2.asc" "$C/keys/holder-2bob.asc"
cp "$KEYS/holder4.asc" "$C/keys/holder-3dave.asc"
start=$SECONDS

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
ui_keys Down Down Enter
ui_step "3 holders, 0 operator, 0 witnesses" roster
# The files sort in share order; the names drop the digit.
for n in alice bob dave; do
	ui_keys n C-u; ui_type "$n"; ui_keys Enter Down
done
ui_step "3      holder    dave" roster-named
# The roster's help is right for a rekey: no initial root token to receive.
ui_keys '?'
check_output "the roster's help: the operator's token is init's, a rekey makes none" \
    'at init the operator.s key receives the initial root token \(a rekey makes none\)' \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | tr -s ' \n' '  '"
ui_keys Space	# any key: back to the step
ui_keys Enter
ui_step "How many of them are needed" quorum
ui_keys Enter
for k in 1 2 3; do ui_wait "Key $k of 3" >/dev/null && ui_keys y; done
ui_step "Begin the rekey ceremony? Type y to begin." begin
ui_keys y
ui_step "Ceremony key" begun
check "the bridge starts the rekey and offers a session" quorum_bridge_start "$C" \
    rekey --exchange "$C/x" --address "$(bao_addr k1)" --wait 300
ui_keys Enter
ui_step "The bridge's words:" sas
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter
# holder NAME TEXT-WHEN-DONE SNAP: one quorum turn.
holder() {
	ui_step "Next holder, your name:" "$3-name"
	ui_type "$1"; ui_keys Enter
	ui_wait "Is $1 at the appliance?" >/dev/null && ui_keys y
	ui_wait "stick (folder):" >/dev/null && ui_keys Enter
	ui_step "passphrase of your key file" "$3-pass"
	ui_type "$PASS"; ui_keys Enter
	ui_step "$2" "$3-done" 60
	ui_keys Enter
}
holder alice "alice's share is sealed" old-alice
holder bob "bob's share is sealed" old-bob
ui_step "Submit the shares? Type y." submit-old
# The screen says where a rekey's shares go, not an unseal's nodes.
flat() { ui_screen | tr -s ' \n' '  '; }
check_output "the submit screen says the shares go to the server's rekey" \
    "submits them to the server's rekey, which then makes the new shares" flat
check_fails "  not to every sealed node (an unseal's words)" sh -c \
    "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'every sealed node'"
ui_keys y
for n in alice bob dave; do
	ui_step "Is $n at the appliance?" "handout-$n-ask" 60
	ui_keys y
	ui_wait "Holder's stick (folder):" >/dev/null && ui_keys Enter
	ui_wait "passphrase of your key file" >/dev/null
	ui_type "$PASS"; ui_keys Enter
	ui_step "is on $n's stick and proven" "handout-$n-done" 60
	[ "$n" = dave ] || ui_keys Enter
done
check "the last handout offers the check of all new shares" \
    ui_wait "c: check all new shares first"
check_output "  and says how many new shares verify the rekey (the number, not 't')" \
    'Next, 2 new shares verify the rekey\.' \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | tr -s ' \n' '  '"
ui_keys c
ui_step "Start the check? Type y." check-intro
ui_keys y
# Any order here too: dave is at the appliance before alice and bob.
ui_wait "Is alice at the appliance?" >/dev/null && ui_keys o
ui_step "Who is at the appliance now?" check-pick
ui_keys Up Enter
for n in dave alice bob; do
	ui_wait "Is $n at the appliance?" >/dev/null && ui_keys y
	ui_wait "Holder's stick (folder):" >/dev/null
	if [ "$n" = dave ]; then
		# alice's stick at dave's turn: refused by name before any PIN.
		ui_keys C-u; ui_type "$C/sticks/alice"; ui_keys Enter
		ui_step "this stick brings alice's key, not dave's" check-dave-wrong-stick 60
		check_fails "  and no passphrase is asked" \
		    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'passphrase of your key file'"
		ui_keys C-u; ui_type "$C/sticks/dave"
	fi
	ui_keys Enter
	ui_step "passphrase of your key file" "check-$n-pass"
	if [ "$n" = alice ]; then
		ui_type "not-the-passphrase"; ui_keys Enter
		ui_step "Wrong passphrase. Nothing was revealed" check-alice-wrong 60
	fi
	ui_type "$PASS"; ui_keys Enter
done
ui_step "All new shares agree: any 2 of them open the new key." check-done 60
ui_keys Enter
ui_step "NEW shares sealed (verification):" verify
holder alice "alice's share is sealed" new-alice
holder bob "bob's share is sealed" new-bob
ui_step "Submit the shares? Type y." submit-new
check_output "the verification's submit screen says the old shares then stop" \
    "submits them to the rekey's verification; with it, the old shares stop working" flat
ui_keys y
ui_review walt review
ui_step "Ceremony closed. The new shares are verified" summary 60
new=()
for k in 1 2 4; do
	n=$( [ "$k" = 4 ] && echo dave || echo "${old[$k - 1]}")
	f=$(ls "$C/sticks/$n"/conclave-*-share-*.gpg | grep -v -- -00000000-)
	s=$(gpg_decrypt_as "holder$k" "$KEYS/holder$k.sec.asc" <"$f")
	new+=("$s")
	check_output "stock gpg opens $n's new share" '^[0-9a-f]{66}$' echo "$s"
done
ui_residue "the summary" "$(bao_share k1 1)" "$(bao_share k1 2)" "$(bao_share k1 3)" "${new[@]}" "$PASS"
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
echo "# UI rekey ceremony: $((SECONDS - start)) s"

check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$T"
check_output "the check of all new shares is on the record, consistent" \
    '"type":"all-shares-check".*"n":3.*"decrypted":3.*"consistent":true' \
    grep '"all-shares-check"' "$T"
check_output "and that it put the new key in the appliance's memory" \
    '"secret_in_appliance_memory":true' grep all-shares-check-started "$T"
ui_no_secrets "$(bao_share k1 1)" "$(bao_share k1 2)" "$(bao_share k1 3)" "${new[@]}" "$PASS"
ui_check_screens rekey

# An unseal through the UI with the same sticks: alice's and bob's hold
# their old share and the new one; the UI takes the newest.
check "the server restarts sealed" bao_restart k1
ui_stop
U=$T_TMP/u
mkdir -p "$U/x"
ui_start env TERM=linux "$CONCLAVE" --state "$U/state" --exchange "$U/x" \
    --sticks "$C/sticks" --previous-transcript "$T"
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Down Enter
ui_wait "Type y to begin." >/dev/null && ui_keys y
ui_wait "Ceremony key" >/dev/null && ui_keys Enter
check "bridge unseal (after the rekey)" quorum_bridge_start "$U" unseal \
    --exchange "$U/x" --address "$(bao_addr k1)" --wait 120
ui_wait "The bridge's words:" >/dev/null
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$U")"; ui_keys Enter
# alice's shares with bob's key file: the stick's key is checked against
# the rekey's handout before any passphrase is asked, and named.
mkdir -p "$T_TMP/mixed"
cp -p "$C"/sticks/alice/*.gpg "$C"/sticks/bob/*.sec.asc "$T_TMP/mixed/"
ui_wait "Next holder, your name:" >/dev/null && { ui_type alice; ui_keys Enter; }
ui_wait "Is alice at the appliance?" >/dev/null && ui_keys y
ui_wait "stick (folder):" >/dev/null && { ui_keys C-u; ui_type "$T_TMP/mixed"; ui_keys Enter; }
check "a stick with alice's share and bob's key: bob's key is named" \
    ui_wait "this stick brings bob's key, not alice's" 30
check_fails "... and no passphrase is asked" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'passphrase of your key file'"
for n in alice bob; do
	ui_wait "Next holder, your name:" >/dev/null && { ui_type "$n"; ui_keys Enter; }
	ui_wait "Is $n at the appliance?" >/dev/null && ui_keys y
	ui_wait "stick (folder):" >/dev/null && ui_keys Enter
	ui_wait "passphrase of your key file" >/dev/null && { ui_type "$PASS"; ui_keys Enter; }
	ui_wait "$n's share is sealed" 60 >/dev/null && ui_keys Enter
done
ui_wait "Submit the shares? Type y." >/dev/null && ui_keys y
ui_review walt
check "the NEW shares from the sticks unseal it (the rekey took effect)" \
    ui_wait "Ceremony closed. Every node is unsealed." 60
check_output "the server is unsealed" '^false$' seal_field k1 .sealed
finish
