#!/usr/bin/env bash
# `make demo`'s script, detached: it starts OpenBao and the tmux session
# (appliance left, bridge right), an init ceremony can be driven through
# both panes to the summary, then an unseal ceremony after the server's
# restart, chained to the init transcript; --stop leaves nothing running.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/uidrive.sh"

export DEMO_TMUX_SOCKET=$UI_SOCKET
name=$("$TOP/scripts/demo" --detach)
check_output "scripts/demo --detach prints the session's name" '^conclave-demo-' echo "$name"
on_exit "'$TOP/scripts/demo' --stop '$name'"
dir=$(uitmux show-environment -t "$name" CONCLAVE_DEMO_DIR | sed 's/^[^=]*=//')
pid=$(cat "$dir/bao/demo/pid")
check "the demo's OpenBao runs" kill -0 "$pid"
start=$SECONDS

UI_TARGET=$name:rehearsal.1
check "the bridge pane waits for the init request" ui_wait "Waiting for the appliance's init request"
UI_TARGET=$name:rehearsal.0
check "the appliance pane shows the REHEARSAL banner" ui_wait "REHEARSAL"
ui_keys Enter
check "the demo roster: 3 holders, an operator, a witness" \
    ui_wait "3 holders, 1 operator, 1 witnesses"
ui_keys Enter
check "quorum" ui_wait "How many of them are needed"
ui_keys Enter
for k in 1 2 3 4 5; do ui_wait "Key $k of 5" >/dev/null && ui_keys y; done
check "begin" ui_wait "Type y to begin."
ui_keys y
check "the ceremony key is shown" ui_wait "Ceremony key"
words=$(ui_key_words)
UI_TARGET=$name:rehearsal.1
check "the bridge asks for the ceremony key's words" \
    ui_wait "Type the ceremony key's words"
ui_type "$words"; ui_keys Enter
check "the bridge confirms they match" ui_wait "words match the appliance's"
UI_TARGET=$name:rehearsal.0
ui_keys Enter
check "the bridge's init result is accepted" ui_wait "Init result accepted." 60
ui_keys Enter
for n in alice bob carol; do
	ui_wait "Is $n at the appliance?" >/dev/null && ui_keys y
	ui_wait "Holder's stick (folder):" >/dev/null && ui_keys Enter
	ui_wait "passphrase of your key file" >/dev/null
	ui_type "$(cat "$TOP/tests/vectors/keys/passphrase.txt")"; ui_keys Enter
	check "$n's share handed out and proven" ui_wait "is on $n's stick and proven" 60
	ui_keys Enter
done
check "waiting for the closing result" ui_wait "Waiting for the closing result"
UI_TARGET=$name:rehearsal.1
check "the bridge pane asks the operator" ui_wait "press Enter here"
ui_keys Enter
check "the bridge revokes the root token" ui_wait "revoked" 60
UI_TARGET=$name:rehearsal.0
check "the witness reviews after the revocation" ui_review walt
check "the appliance closes the ceremony" \
    ui_wait "Ceremony closed. The initial root token is revoked." 60
echo "# init through make demo's panes: $((SECONDS - start)) s"
check_output "the demo's transcript verifies" '^OK' \
    "$CONCLAVE" verify "$dir/state1/transcript.jsonl"

# Unseal: the bridge pane restarts the server sealed; the appliance pane
# starts the next ceremony, chained to the init transcript.
ui_keys q
check "the appliance pane offers the next ceremony" ui_wait "Enter: the next ceremony"
ui_keys Enter
UI_TARGET=$name:rehearsal.1
check "the bridge pane offers the unseal rehearsal" ui_wait "To rehearse unseal"
ui_keys Enter
check "the server comes back sealed" ui_wait "sealed=true" 60
UI_TARGET=$name:rehearsal.0
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Down Enter
check "unseal begins chained to the init transcript" \
    ui_wait "Previous ceremony's transcript verified"
ui_keys y
ui_wait "Ceremony key" >/dev/null && ui_keys Enter
check "the SAS screen, once the bridge's offer is in" ui_wait "The bridge's words:" 60
UI_TARGET=$name:rehearsal.1
ui_wait "Short authentication string" >/dev/null
sas=$(ui_screen | grep -A1 '^Short authentication string' | tail -n 1 | sed 's/^ *//')
UI_TARGET=$name:rehearsal.0
ui_type walt; ui_keys Enter; ui_type "$sas"; ui_keys Enter
for n in alice bob; do
	ui_wait "Next holder, your name:" >/dev/null && { ui_type "$n"; ui_keys Enter; }
	ui_wait "Is $n at the appliance?" >/dev/null && ui_keys y
	ui_wait "stick (folder):" >/dev/null && ui_keys Enter
	ui_wait "passphrase of your key file" >/dev/null
	ui_type "$(cat "$TOP/tests/vectors/keys/passphrase.txt")"; ui_keys Enter
	check "$n's share (from init's handout) is sealed to the bridge" \
	    ui_wait "$n's share is sealed to the bridge session." 60
	ui_keys Enter
done
ui_wait "Submit the shares? Type y." >/dev/null && ui_keys y
check "the witness reviews the unseal" ui_review walt
check "the appliance: every node is unsealed" \
    ui_wait "Ceremony closed. Every node is unsealed." 60
check_output "the server is unsealed" '^false$' sh -c \
    "curl -s --noproxy '*' \$(cat '$dir/bao/demo/addr')/v1/sys/seal-status | jq -r .sealed"
head1=$("$CONCLAVE" verify "$dir/state1/transcript.jsonl" | sed -n 's/^head \([0-9a-f]\{64\}\)$/\1/p')
check_output "the unseal transcript verifies and names init's head as previous" "$head1" \
    sh -c "'$CONCLAVE' verify '$dir/state2/transcript.jsonl' && head -n 1 '$dir/state2/transcript.jsonl'"
echo "# init and unseal through make demo's panes: $((SECONDS - start)) s"

"$TOP/scripts/demo" --stop "$name"
check_fails "--stop ends the tmux session" uitmux has-session -t "$name" 2>/dev/null
check_fails "--stop stops the demo's OpenBao" kill -0 "$pid" 2>/dev/null
check_fails "--stop removes the demo folder" test -e "$dir"
finish
