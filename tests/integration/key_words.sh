#!/usr/bin/env bash
# The ceremony key's words on the bridge (issue 10, "an honest record"):
# every bridge command shows the words of the key that signed the request,
# the same words the appliance shows; for init the room confirms them
# before anything reaches the server (typed, or --key-words), compared as
# people read them (case and spacing do not matter), a mismatch naming the
# word and changing nothing. Against a real server (SERVER).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr s1)
C=$T_TMP/init
check "init begin" ceremony_begin "$C" 3
words=$(key_words "$C")
check_output "the appliance printed eight words" '^([A-Za-z]+ ){7}[A-Za-z]+$' echo "$words"
init_bridge() {	# ARGS...: conclave-bridge init, no token to revoke
	joined "$BRIDGE" init --exchange "$C/x" --address "$addr" --root-token-fd 0 \
	    "$@" </dev/null
}
untouched() {
	! ls "$C"/x/*/000002-* >/dev/null 2>&1 &&
	[ "$(seal_field s1 .initialized)" = false ]
}
# One word changed: the third.
set -- $words
other=$( [ "$3" = aardvark ] && echo absurd || echo aardvark )
wrong="$1 $2 $other ${*:4}"
check_output "a changed word is refused, naming it" \
    'CK_ERR_SAS_MISMATCH.*word 3 of 8 is not the request.s.*nothing was sent to the server' \
    init_bridge --key-words "$wrong"
check "... and the server and the folder are untouched" untouched
check_output "a word missing is refused (word 8)" 'word 8 of 8' \
    init_bridge --key-words "${*:1:7}"
check "... untouched" untouched
check_output "no terminal and no --key-words: refused, saying how to give them" \
    'no terminal to type them on.*--key-words; nothing was sent' \
    joined setsid -w "$BRIDGE" init --exchange "$C/x" --address "$addr" --root-token-fd 0 </dev/null
check "... untouched" untouched
check_output "the bridge shows the appliance's words" "^  $words\$" \
    sh -c "'$BRIDGE' init --exchange '$C/x' --address '$addr' --key-words x </dev/null 2>/dev/null"
# As heard: upper case, extra spaces and tabs.
heard=$(echo "  $words  " | tr a-z A-Z | sed 's/ /  \t/g')
check "the words as heard (case, spacing) are confirmed; the server is initialised" \
    bridge_init_start "$C" "$addr" "$heard"
check_output "the bridge said they match before initialising" \
    "words match the appliance's" cat "$C/bridge.out"
kill "$(cat "$C/bridge.pid")" 2>/dev/null

# --- the quorum ceremonies show the same words (generate-root, unseal) ---
bao_start_shamir g1 --legacy-generate-root || { fail "OpenBao starts"; finish; }
check "g1 is initialised" bao_init g1 1 1
check "g1 is unsealed" bao_unseal g1 "$(jq -r '.keys[0]' "$(bao_dir g1)/init.json")"
G=$T_TMP/gr
mkdir -p "$G/x"
check "generate-root begin" sh -c "'$CONCLAVE' generate-root begin --state '$G/state' \
    --exchange '$G/x' >'$G/begin.out' 2>&1"
check "bridge generate-root offers a session" quorum_bridge_start "$G" generate-root \
    --exchange "$G/x" --address "$(bao_addr g1)" --wait 60
check_output "it shows the appliance's words" "^  $(key_words "$G")\$" cat "$G/bridge.out"
kill "$(cat "$G/bridge.pid")" 2>/dev/null
U=$T_TMP/un
mkdir -p "$U/x"
bao_restart g1 >/dev/null
check "unseal begin" sh -c "'$CONCLAVE' unseal begin --state '$U/state' \
    --exchange '$U/x' >'$U/begin.out' 2>&1"
check "bridge unseal offers a session" quorum_bridge_start "$U" unseal \
    --exchange "$U/x" --address "$(bao_addr g1)" --wait 60
check_output "it shows the appliance's words" "^  $(key_words "$U")\$" cat "$U/bridge.out"
kill "$(cat "$U/bridge.pid")" 2>/dev/null

finish
