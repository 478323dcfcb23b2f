#!/usr/bin/env bash
# The init ceremony end to end through the guided UI, driven in tmux with
# TERM=linux (the appliance's console), against a real OpenBao and the real
# bridge: 3 holders (RSA-3072, RSA-4096, Curve25519), t = 2, an operator and
# a witness. Asserts on the screen at each step, keeps every screen
# (tests/ui/screens/init-*.txt are the committed copies; UPDATE_SCREENS=1
# refreshes them), checks each fits 80x24, and that no share and no
# passphrase ever appears on any screen.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
ui_room keys
init_folders "$C"
names=(alice bob carol)
start=$SECONDS

ui_start "${UI_CMD[@]}"
ui_step "Which ceremony is this?" start
check "the REHEARSAL banner is on the screen" grep -q "REHEARSAL" "$UI_SNAPS/01-start.txt"
ui_keys Enter
ui_step "3 holders, 1 operator, 1 witnesses" roster
ui_keys '?'
ui_step "Give each one its role" roster-help
ui_keys Enter
ui_keys C-e
ui_step "Record a deviation" deviation
ui_type walt; ui_keys Enter
ui_type "the ceremony started 10 minutes late"; ui_keys Enter
ui_step "Deviation 1 recorded" deviation-recorded
ui_keys Enter
ui_step "How many of them are needed" quorum
ui_keys BSpace; ui_type 1; ui_keys Enter
ui_step "1 of 3 is not allowed" quorum-refused
ui_keys BSpace; ui_type 2; ui_keys Enter
ui_step "Key 1 of 5" fpr-alice
check "alice's fingerprint words are shown" grep -q "Read these words aloud" "$UI_SNAPS/$(printf %02d $UI_NSNAP)-fpr-alice.txt"
for k in 2 3 4 5; do ui_keys y; ui_wait "Key $k of 5" >/dev/null; done
ui_step "walt, witness" fpr-walt
ui_keys y
ui_step "Begin the init ceremony? Type y to begin." begin-confirm
ui_keys y
ui_step "Ceremony key" begun
check "the init request is on the exchange stick" \
    sh -c "ls '$C'/x/*/000001-init-request.env >/dev/null"
words=$(ui_key_words)
ui_keys Enter
check "waiting for the result, the screen still shows the ceremony key's words" \
    ui_wait "initialises the server only when the operator has typed"
check "... the same words" test "$(ui_key_words)" = "$words"
ui_screen >"$T_TMP/waiting.txt"
check "... and the waiting screen fits 80x24" ui_fits "$T_TMP/waiting.txt"
check "bridge init answers it (the words typed as read) and waits for the root token" \
    bridge_init_start "$C" "$(bao_addr s1)" "$(ui_key_words)"
ui_step "Init result accepted." accepted
ui_keys Enter
# Any order: alice is asked first but is late; the room picks carol, and
# alice and bob follow (alice is asked again as the first still waiting).
ui_step "Is alice at the appliance?" handout-alice-late
ui_keys o
ui_step "Who is at the appliance now?" handout-pick
check_output "the pick lists every holder still waiting" '^ +2 +bob' ui_screen
ui_keys Down Down Enter
ui_step "Is carol at the appliance?" handout-carol-picked
ui_keys o 3
for k in 3 1 2; do
	n=${names[$k - 1]}
	ui_step "Is $n at the appliance?" "handout-$n-ask"
	ui_keys y
	ui_step "Holder's stick (folder):" "handout-$n-stick"
	if [ "$k" = 1 ]; then
		# bob's stick at alice's turn: the key it brings is checked before
		# any passphrase is asked, named, and nothing is written to it.
		# A stick folder that is not there (a typo, the stick not
		# mounted) is said as such, not as someone's wrong key.
		nref0=$(grep -c '"type":"refused"' "$C/state/transcript.jsonl")
		ui_keys C-u; ui_type "$C/sticks/nobody"; ui_keys Enter
		check "  a stick folder that is not there is refused" ui_wait "No stick there"
		check_output "  a missing stick folder is named as missing" \
		    'is the stick in and mounted, and the path right' joined ui_screen
		check_output "  ... not as a holder's wrong key, and not recorded" "^$nref0\$" \
		    grep -c '"type":"refused"' "$C/state/transcript.jsonl"
		bob_before=$(ls -l "$C/sticks/bob" | md5sum)
		ui_keys C-u; ui_type "$C/sticks/bob"; ui_keys Enter
		ui_step "this stick brings bob's key, not alice's" handout-alice-wrong-stick 60
		check_output "  refused by name (CK_ERR_WRONG_HOLDER)" 'CK_ERR_WRONG_HOLDER' joined ui_screen
		check_fails "  and no passphrase is asked" \
		    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'passphrase of your key file'"
		check_output "  bob's stick is as it was" "^$bob_before\$" sh -c "ls -l '$C/sticks/bob' | md5sum"
		# Then carol's stick: another stick, another refusal, on the
		# record too (not taken for the same one again).
		ui_keys C-u; ui_type "$C/sticks/carol"; ui_keys Enter
		check "  carol's stick next is refused by name" \
		    ui_wait "this stick brings carol's key, not alice's" 60
		ui_keys C-u; ui_type "$C/sticks/alice"
	fi
	ui_keys Enter
	ui_step "passphrase of your key file" "handout-$n-pass"
	if [ "$k" = 1 ]; then
		ui_type "not-the-passphrase"; ui_keys Enter
		ui_step "Wrong passphrase. Nothing was revealed" "handout-$n-wrong" 60
	fi
	ui_type "$PASS"; ui_keys Enter
	ui_step "is on $n's stick and proven" "handout-$n-done" 60
	ui_keys Enter
done
ui_step "Waiting for the closing result" closing
check_output "the closing screen says the new (Shamir) server is sealed until the holders unseal it" \
    'The server is sealed after init \(Shamir\): the holders unseal it first; until then the token can be neither used nor revoked' \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | tr -s ' \n' '  '"
# Shares: what gpg gives each holder from their stick; two unseal the server.
shares=()
for k in 1 2 3; do
	n=${names[$k - 1]}
	s=$(gpg_decrypt_as "holder$k" "$KEYS/holder$k.sec.asc" <"$C"/sticks/"$n"/*.gpg)
	shares+=("$s")
	check_output "stock gpg opens $n's share from their stick" '^[0-9a-f]{66}$' echo "$s"
done
ui_residue "every share handed out" "${shares[@]}" "$PASS" "not-the-passphrase"
check "bob's and carol's shares unseal the server" bao_unseal s1 "${shares[1]}" "${shares[2]}"
root=$(operator_root_token "$C")
check "bridge revokes the root token" bridge_init_finish "$C" "$root"
# The witnesses' review comes after the revocation, before the close:
# walt, the roster's witness; then a name not on the roster is refused
# (on the record once, as conclave review does), and Esc goes back.
ui_step "walt (witness): does this match what you saw?" review 60
ui_keys y
ui_step "Every witness has answered" review-done
ui_keys a
ui_wait "Witness, your name:" >/dev/null
ui_type mallory; ui_keys Enter
check "a name not on the roster is refused" ui_wait "CK_ERR_NOT_A_WITNESS" 5
check "  naming the roster's witnesses" ui_wait "mallory is not one of this ceremony" 2
check_output "  on the record once" '^1$' sh -c \
    "grep -c '\"error\":\"CK_ERR_NOT_A_WITNESS\"' '$C/state/transcript.jsonl'"
ui_keys Escape
ui_wait "Every witness has answered" >/dev/null
ui_keys Enter
ui_step "Ceremony closed. The initial root token is revoked." summary
ui_keys s
ui_step "walt, the passphrase of your key file" witness-sign
ui_type "$PASS"; ui_keys Enter
ui_step "walt signed the transcript" witness-signed 60
ui_residue "the witness signed" "${shares[@]}" "$PASS" "not-the-passphrase" "$root"
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
echo "# UI init ceremony (with the unseal and gpg in between): $((SECONDS - start)) s"

check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$T"
check_output "conclave verify checks the ceremony: 3 of 3 proven, root token revoked" \
    '3 of 3 shares handed out with a decrypt proof, threshold 2, initial root token revoked' \
    "$CONCLAVE" verify "$T"
check "stock minisign verifies it" minisign -Vm "$T" -p "$T.pub" -q
hw=$(joined "$CONCLAVE" verify "$T" | sed -n 's/^head as words: //p')
check "verify prints the head words" test -n "$hw"
check_output "the summary shows the head words conclave verify prints" "$hw" \
    sh -c "cat '$UI_SNAPS'/*-summary.txt | tr -s ' \n' '  '"
check_output "the handouts are on the record in the order the room chose" \
    '^3 1 2 $' sh -c "jq -r 'select(.type==\"share-handed-out\") | .details.share' '$T' | tr '\n' ' '"
check_output "the wrong stick is on the record once, with whose key it brought" '^1$' \
    sh -c "grep '\"what\":\"stick\"' '$T' | grep -c 'bob.s key, not alice'"
check_output "and the next wrong stick (carol's) once too: another refusal" '^1$' \
    sh -c "grep '\"what\":\"stick\"' '$T' | grep -c 'carol.s key, not alice'"
check_output "the deviation is in the transcript" \
    '"type":"deviation".*"actor":"walt".*10 minutes late' cat "$T"
# The record is honest: the wrong passphrase was refused and recorded, and
# the summary, the CLI and verify count it beside the deviation.
nref=$(grep -c '"type":"refused"' "$T"); ndev=$(grep -c '"type":"deviation"' "$T")
check "the transcript holds a refusal and a deviation" test "$nref" -ge 1 -a "$ndev" -ge 1
check_output "the summary counts every refusal and deviation on the record" \
    "$nref refusals?, $ndev deviations?, [0-9]+ exceptions? in all" \
    sh -c "cat '$UI_SNAPS'/*-summary.txt"
check_output "conclave verify counts the same from the records" \
    "^record: $nref refusals?, $ndev deviations?," "$CONCLAVE" verify "$T"
check_output "the witness's confirmation is in the transcript" \
    '"type":"witness-confirmation".*"actor":"walt"' cat "$T"
check_output "the witness reviewed after the root token's revocation, then the close" \
    '^root-token-revoked witness-confirmation close $' sh -c \
    "jq -r 'select(.type==\"root-token-revoked\" or .type==\"witness-confirmation\" or .type==\"close\") | .type' '$T' | tr '\n' ' '"
check_output "each member's fingerprint confirmation is in the transcript" '^5$' \
    sh -c "grep -c '\"type\":\"fingerprint-confirmed\"' '$T'"
wfpr=$(gpg --with-colons --show-keys "$KEYS/witness.asc" 2>/dev/null | awk -F: '/^fpr/ {print tolower($10); exit}')
gh=$(gpg_home_with witness "$KEYS/witness.sec.asc")
check "the witness's OpenPGP signature over the transcript verifies" \
    gpg --homedir "$gh" --batch --quiet --verify "$T.$wfpr.asc" "$T" 2>/dev/null

ui_no_secrets "${shares[@]}" "$PASS" "not-the-passphrase"
ui_check_screens init
finish
