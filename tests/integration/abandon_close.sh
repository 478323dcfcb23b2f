#!/usr/bin/env bash
# Abandon is a close: a ceremony given up at any step is closed with a
# signed transcript whose close record says abandoned and why; `conclave
# verify` reports it as a valid outcome of its own; the next ceremony
# chains through it. A generate-root attempt abandoned on the appliance is
# cancelled on the server by the bridge, which says so; a bridge killed
# mid-session and started again cancels that session's attempt (and no
# other) and tells the room to abandon (real OpenBao).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

# --- init, abandoned before the bridge answered ---
I=$T_TMP/init
check "init begins" ceremony_begin "$I" 3
check_output "init abandon closes the ceremony" 'closed as abandoned' \
    "$CONCLAVE" init abandon --state "$I/state" --reason "the operator's key is lost"
check_output "the close record says abandoned and why" \
    '"type":"close".*"outcome":"abandoned","reason":"the operator.s key is lost"' \
    tail -n 1 "$I/state/transcript.jsonl"
check_output "it is signed: stock minisign verifies it" 'Signature and comment signature verified' \
    minisign -V -p "$I/state/transcript.jsonl.pub" -m "$I/state/transcript.jsonl"
check_output "conclave verify: valid, and abandoned" '^OK ' \
    "$CONCLAVE" verify "$I/state/transcript.jsonl"
check_output "... with the reason" "ceremony: init, abandoned: the operator's key is lost" \
    "$CONCLAVE" verify "$I/state/transcript.jsonl"
check_output "status says closed" '^closed$' "$CONCLAVE" init status --state "$I/state"
check_output "a second abandon is refused" 'CK_ERR_CLOSED' \
    "$CONCLAVE" init abandon --state "$I/state"
# An abandon record may not be forged into a completed one: the close
# record's outcome is signed with the rest.
sed 's/,"outcome":"abandoned","reason":"[^"]*"//' "$I/state/transcript.jsonl" >"$T_TMP/forged.jsonl"
cp "$I/state/transcript.jsonl.minisig" "$T_TMP/forged.jsonl.minisig"
check_fails "(the forged copy differs)" cmp -s "$I/state/transcript.jsonl" "$T_TMP/forged.jsonl"
check_fails "the outcome cannot be cut out" "$CONCLAVE" verify "$T_TMP/forged.jsonl"

# --- the chain runs through it ---
U=$T_TMP/un
mkdir -p "$U/x"
check "an unseal chains to the abandoned init" "$CONCLAVE" unseal begin \
    --state "$U/state" --exchange "$U/x" --previous-transcript "$I/state/transcript.jsonl"
check_output "... which it names as its previous transcript" \
    "\"previous_transcript\":\"$("$CONCLAVE" verify "$I/state/transcript.jsonl" | sed -n 's/^head \([0-9a-f]\{64\}\)$/\1/p')\"" \
    head -n 1 "$U/state/transcript.jsonl"
check "the unseal is abandoned before any offer" "$CONCLAVE" unseal abandon --state "$U/state"
check_output "and verifies as abandoned (the default reason)" \
    'ceremony: unseal, abandoned: abandoned by the operator' \
    "$CONCLAVE" verify "$U/state/transcript.jsonl"

# --- generate-root abandoned after the offer: the server attempt is cancelled ---
bao_start_shamir g1 --legacy-generate-root || { fail "OpenBao (legacy generate-root) starts"; finish; }
check "g1 is initialised" bao_init g1 5 3
key() { jq -r ".keys[$(($1 - 1))]" "$(bao_dir g1)/init.json"; }
check "g1 is unsealed" bao_unseal g1 "$(key 1)" "$(key 2)" "$(key 3)"
addr=$(bao_addr g1)
attempt() { bao_curl g1 "$addr/v1/sys/generate-root/attempt" | jq -r .started; }
G=$T_TMP/gr
mkdir -p "$G/x"
check "generate-root begins" "$CONCLAVE" generate-root begin --state "$G/state" --exchange "$G/x"
check "the bridge starts the attempt" quorum_bridge_start_token "$G" generate-root \
    --exchange "$G/x" --address "$addr" --token-out "$G/new-token" --wait 60
check_output "the server's attempt is started" '^true$' attempt
check_output "generate-root abandon, the offer unread" 'cancel the attempt' \
    "$CONCLAVE" generate-root abandon --state "$G/state" --reason "drill called off"
check "the bridge exits 0" bridge_wait "$G"
check_output "... and says the attempt is cancelled" 'attempt is cancelled on the server' \
    cat "$G/bridge.out"
check_output "the server's attempt is gone" '^false$' attempt
check_output "the offer was read and recorded before the close" \
    '"type":"received-on-abandon"' cat "$G/state/transcript.jsonl"
check_output "the transcript verifies as abandoned" \
    'ceremony: generate-root, abandoned: drill called off' \
    "$CONCLAVE" verify "$G/state/transcript.jsonl"

# --- the bridge killed mid-session, started again: it cancels that attempt ---
K=$T_TMP/killed
mkdir -p "$K/x"
check "generate-root begins (2)" "$CONCLAVE" generate-root begin --state "$K/state" --exchange "$K/x"
check "the bridge starts the attempt (2)" quorum_bridge_start_token "$K" generate-root \
    --exchange "$K/x" --address "$addr" --token-out "$K/new-token" --wait 60
check "the witness confirms the words" "$CONCLAVE" generate-root accept \
    --state "$K/state" --confirm-sas "$(bridge_sas "$K")"
kill -9 "$(cat "$K/bridge.pid")"
check_output "after kill -9 the server's attempt is still started" '^true$' attempt
again() {	# N: the bridge started again, its output in again-N/bridge.out
	mkdir -p "$T_TMP/again-$1"
	"$BRIDGE" generate-root --exchange "$K/x" --address "$addr" --wait 5 \
	    >"$T_TMP/again-$1/bridge.out" 2>&1
	cat "$T_TMP/again-$1/bridge.out"
}
check_output "the bridge started again cancels that session's attempt" \
    'Its attempt on the server \(nonce .*\) is cancelled' joined again 1
check_output "... and tells the room to abandon on the appliance" \
    'conclave generate-root abandon' joined again 2
check_output "the server's attempt is gone (2)" '^false$' attempt
check "the appliance abandons" "$CONCLAVE" generate-root abandon --state "$K/state" \
    --reason "the bridge was killed"
check_output "the transcript verifies as abandoned (2)" \
    'ceremony: generate-root, abandoned: the bridge was killed' \
    "$CONCLAVE" verify "$K/state/transcript.jsonl"
check "every line the bridge printed fits 80 columns (issue 10)" bridge_fits80
finish
