#!/usr/bin/env bash
# Break-glass root-token regeneration (OTP mode) through the guided UI, in
# tmux with TERM=linux, against a real OpenBao (legacy generate-root
# endpoint open) and the real bridge: the reason and the authoriser go on
# the record first (an empty reason is refused), SAS, alice and bob give their
# shares, the bridge hands the new root token to the operator (it works),
# the operator gives it back, it is revoked and the ceremony closes. The
# token never appears on the appliance's screens. Then a second one whose
# token the bridge cannot hand over: it is revoked at once, and the UI
# closes the ceremony as failed without waiting.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

ui_server g1 unsealed --legacy-generate-root
addr=$(bao_addr g1)
# to_submit C [swap]: a generate-root ceremony in C through the guided UI
# up to the submitted shares (the bridge writes the token to C/new-token);
# with swap, the exchange stick is another ceremony's at the submit first.
to_submit() {
	local C=$1
	mkdir -p "$C/x"
	holder_sticks "$C/sticks" g1 2

	ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
	    --sticks "$C/sticks" --rehearsal
	ui_step "Which ceremony is this?" start
	ui_keys Down Down Down Enter
	ui_step "Why (the incident):" reason
	ui_keys Enter
	ui_wait "Type the reason: printable text." >/dev/null && ok "an empty reason is refused" ||
	    fail "an empty reason is refused"
	ui_type "INC-4711 all admins locked out"; ui_keys Enter
	ui_wait "Type the authoriser" >/dev/null
	ui_type "walt"; ui_keys Enter
	ui_step "Begin the root-token ceremony? Type y to begin." begin
	ui_keys y
	ui_step "Ceremony key" begun
	check_output "  the begun screen names this ceremony's bridge command only" \
	    'run conclave-bridge generate-root\.' \
	    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | tr -s ' \n' '  '"
	check "the bridge starts the attempt and offers a session" quorum_bridge_start_token "$C" \
	    generate-root --exchange "$C/x" --address "$addr" --token-out "$C/new-token" --wait 60
	ui_keys Enter
	ui_step "The bridge's words:" sas
	ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter
	for n in alice bob; do ui_quorum_turn "$n" "$PASS" "$n"; done
	ui_step "Submit the shares? Type y." submit
	check_output "  the submit screen says the shares go to the root-token attempt" \
	    "submits them to the server's root-token attempt" \
	    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | tr -s ' \n' '  '"
	if [ "${2:-}" = swap ]; then swapped_stick "$C"; else ui_keys y; fi
}

# swapped_stick C: at the submit the exchange stick is another ceremony's
# (the UI started again after a crash with the stick mounted by hand at
# C/x2, which holds another ceremony's folder and not this one's). The
# submission is saved in the state folder but cannot be written there:
# the screen says so, and does not ask to submit again (that could only be
# refused: the sealed shares are in the saved submission). This
# ceremony's stick in its place, r writes it there; carried to the
# bridge, the ceremony goes on.
swapped_stick() {
	local C=$1 id other=0123456789abcdef0123456789abcdef
	id=$(ls "$C/x")
	ui_kill9 "before the submit"
	mkdir -p "$C/x2/$other"
	ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x2" \
	    --sticks "$C/sticks" --rehearsal
	ui_wait "An open ceremony is in the state folder" >/dev/null && ui_keys Enter
	ui_wait "Submit the shares? Type y." >/dev/null && ui_keys y
	check "  another ceremony's stick: the submission is kept, and said so" \
	    ui_wait "The exchange stick could not take the submission"
	check_output "  naming the folder that must be on it, r to write it there" \
	    "its folder ${id:0:8}\\.\\.\\. must be on it\\) and r writes the submission there" \
	    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | tr -s ' \n' '  '"
	check_fails "  not asked to submit again" sh -c \
	    "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'Submit the shares? Type y'"
	check_output "  nothing written to the other ceremony's stick" '^0$' \
	    sh -c "ls '$C/x2/$other' | wc -l"
	rm -r "$C/x2/$other"
	mv "$C/x/$id" "$C/x2/$id"
	ui_keys r
	check "  this ceremony's stick in: r writes the submission" \
	    ui_wait "The submission is on the exchange stick."
	check "  ... there" test -f "$C/x2/$id/000003-share-submission.env"
	check_output "  ... recorded once" '^1$' grep -c '"type":"shares-submitted"' \
	    "$C/state/transcript.jsonl"
	mv "$C/x2/$id" "$C/x/$id"	# carried to the bridge
}

PASS=$(cat "$PASSFILE")
C=$T_TMP/c
start=$SECONDS
to_submit "$C" swap
ui_step "A new root token was issued" issued 60
tok=$(cat "$C/new-token")
check_output "the operator's new token works and is a root token" '^root$' sh -c \
    "curl -s -H 'X-Vault-Token: $tok' '$addr/v1/auth/token/lookup-self' | jq -r '.data.policies | join(\",\")'"
quorum_give_token "$C" "$tok"
check "the bridge revokes it" bridge_wait "$C"
# The witnesses' review after the revocation (generate-root had none), two
# of them: walt confirms, wendy does not (a deviation), then the close.
ui_step "Witness, your name:" review-name
ui_type walt; ui_keys Enter
ui_step "walt (witness): does this match what you saw?" review
ui_keys y
ui_step "Every witness has answered" review-done
ui_keys a
ui_step "Witness, your name:" review-second
ui_type wendy; ui_keys Enter
ui_wait "wendy (witness): does this match what you saw?" >/dev/null && ui_keys n
# n asks why, as conclave review --not-confirmed NAME --reason TEXT does.
check "n asks the witness why" ui_wait "wendy did not confirm. Why (what did not match)?" 5
ui_type "the operator left the room with the token"; ui_keys Enter
ui_step "Every witness has answered" review-two
check_output "  the deviation on the record says why" \
    '"type":"deviation","actor":"wendy".*did not confirm the review: the operator left the room with the token' \
    cat "$C/state/transcript.jsonl"
check_output "the review counts the deviation at once" '1 deviation,' ui_screen
# xavier witnessed too but had to leave: x records that, by the appliance.
ui_keys a
ui_wait "Witness, your name:" >/dev/null
ui_type xavier; ui_keys Enter
ui_wait "xavier (witness): does this match what you saw?" >/dev/null && ui_keys x
check "x: xavier is recorded as not here" ui_wait "Recorded: xavier was not here." 5
check_output "  and counted" '2 deviations,' ui_screen
ui_keys Enter
ui_step "Ceremony closed. The new root token is revoked." summary 60
ui_residue "the summary" "$(bao_share g1 1)" "$(bao_share g1 2)" "$PASS" "$tok"
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
echo "# UI generate-root ceremony: $((SECONDS - start)) s"

check_output "the token no longer works" '^$' sh -c \
    "curl -s -H 'X-Vault-Token: $tok' '$addr/v1/auth/token/lookup-self' | jq -r '.data.policies // empty'"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "both witnesses answered after the revocation, then the close" \
    '^root-token-revoked witness-confirmation:walt deviation:wendy deviation:appliance close:appliance $' \
    sh -c "jq -r 'select(.type==\"root-token-revoked\" or .type==\"witness-confirmation\" or .type==\"deviation\" or .type==\"close\") | if .type==\"root-token-revoked\" then .type else .type + \":\" + .actor end' '$C/state/transcript.jsonl' | tr '\n' ' '"
check_output "xavier's absence names him, recorded by the appliance" \
    '"type":"deviation","actor":"appliance".*"witness":"xavier"' cat "$C/state/transcript.jsonl"
check_output "the reason and the authoriser are on the record" \
    '"type":"break-glass-authorised".*"actor":"walt".*"reason":"INC-4711 all admins locked out"' \
    grep break-glass-authorised "$C/state/transcript.jsonl"
ui_no_secrets "$(bao_share g1 1)" "$(bao_share g1 2)" "$PASS" "$tok"

# --- the bridge cannot hand the next token over: --token-out names a file
# that exists (never overwritten). It revokes the token at once and says so
# in its result and closing result; the UI does not wait for a token
# nobody holds: it takes both and ends the ceremony as failed, saying so.
ui_stop
C=$T_TMP/u
mkdir -p "$C"
echo "someone else's file" >"$C/new-token"
to_submit "$C"
ui_step "Failed: the bridge could not hand the new root token over." failed 60
check "it says the bridge revoked it" ui_wait "The bridge revoked it: a lookup with it is refused" 2
check "the summary counts the failed handover" ui_wait "0 refusals, 0 deviations, 1 exception" 2
check_fails "the bridge exits 1" bridge_wait "$C"
check_output "the token file is left as it was" "^someone else's file$" cat "$C/new-token"
acc=$(jq -r 'select(.type == "root-token-generated") | .details.accessor' "$C/state/transcript.jsonl")
root=$(jq -r .root_token "$(bao_dir g1)/init.json")
check_output "the issued token is gone on the server (by its accessor)" '^$' \
    sh -c "curl -s -H 'X-Vault-Token: $root' -X POST -d '{\"accessor\":\"$acc\"}' \
    '$addr/v1/auth/token/lookup-accessor' | jq -r '.data.accessor // empty'"
check_output "the transcript verifies as failed, saying so" \
    'ceremony: generate-root, failed: the new root token .*could not be handed over; the bridge revoked it' \
    joined "$CONCLAVE" verify "$C/state/transcript.jsonl"
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
ui_check_screens generate-root
finish
