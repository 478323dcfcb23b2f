#!/usr/bin/env bash
# The rekey ceremony against a real server (SERVER; issue 4, "done when" 2, on the
# legacy endpoints opened with disable_unauthed_rekey_endpoints = false):
# 5 shares with threshold 3 become 7 with threshold 4, erin replaced by
# frank, gina and olga; the new shares get handouts with decrypt proofs as
# at init, then 4 of them pass the server's verification. Afterwards the
# old shares no longer unseal the restarted server and the new ones do.
# The endpoint disabled (OpenBao's default) is named with its setting; with
# a token the bridge uses OpenBao's sys/rotate/root instead, and
# sys/rotate/recovery rekeys the recovery shares of a static-seal server.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_shamir k1 --legacy-rekey || { fail "OpenBao (legacy rekey) starts"; finish; }
check "k1 is initialised 5/3" bao_init k1 5 3
key() { jq -r ".keys[$(($2 - 1))]" "$(bao_dir "$1")/init.json"; }
check "k1 is unsealed" bao_unseal k1 "$(key k1 1)" "$(key k1 2)" "$(key k1 3)"
check "the holders' sticks" quorum_sticks k1
addr=$(bao_addr k1)

# New share k's holder key: 1-4 as before, erin (5) replaced.
newkey() { case $1 in 1|2|3|4) echo "$KEYS/holder$1";; 5) echo "$KEYS/holder6";;
	6) echo "$KEYS/holder7";; 7) echo "$KEYS/operator";; esac; }

C=$T_TMP/rk
mkdir -p "$C/x"
check "rekey begin: 7 new holders, threshold 4" "$CONCLAVE" rekey begin \
    --state "$C/state" --exchange "$C/x" --threshold 4 \
    --holder alice="$(newkey 1).asc" --holder bob="$(newkey 2).asc" \
    --holder carol="$(newkey 3).asc" --holder dave="$(newkey 4).asc" \
    --holder frank="$(newkey 5).asc" --holder gina="$(newkey 6).asc" \
    --holder olga="$(newkey 7).asc"
check "the bridge starts the rekey and offers a session" quorum_bridge_start "$C" \
    rekey --exchange "$C/x" --address "$addr" --wait 300
check_output "the server reports the rekey with verification" \
    '"started":true.*"t":4.*"n":7.*"required":3.*"verification_required":true' \
    curl -s "$addr/v1/sys/rekey/init"
check "the witness confirms the SAS" "$CONCLAVE" rekey accept --state "$C/state" \
    --witness walt --confirm-sas "$(bridge_sas "$C")"
share() { quorum_share rekey "$@"; }
check "alice's current share" share "$C" alice 1
check "bob's current share" share "$C" bob 2
check "erin's current share" share "$C" erin 5
check "submit" "$CONCLAVE" rekey submit --state "$C/state"
check "the bridge answers with the new shares" wait_envelope "$C" 4 rekey-result
check_output "result: 7 new shares, each to its new holder" '^7 new encrypted shares' \
    "$CONCLAVE" rekey result --state "$C/state"
check_output "verification before the handouts is refused" CK_ERR_INCOMPLETE \
    "$CONCLAVE" rekey verify --state "$C/state"
for k in 1 2 3 4 5 6 7; do
	mkdir -p "$C/new$k"
	check "handout of new share $k with a decrypt proof" "$CONCLAVE" rekey handout \
	    --state "$C/state" --holder "$k" --stick "$C/new$k" \
	    --secret-key "$(newkey "$k").sec.asc" --passphrase-fd 3 3<"$PASSFILE"
done
# The opt-in all-shares check: all 7 new holders decrypt in turn, one
# passphrase line each on fd 3.
allkeys() { local k; for k in 1 2 3 4 5 6 7; do echo "--holder $k=$(newkey "$k").sec.asc"; done; }
passes() { local i; for i in $(seq 1 "$1"); do cat "$PASSFILE"; done; }
check_output "all-shares check with 6 of 7 holders: CK_ERR_INCOMPLETE" CK_ERR_INCOMPLETE \
    "$CONCLAVE" rekey check-all --state "$C/state" $(allkeys | head -n 6) \
    --passphrase-fd 3 3< <(passes 6)
check_output "all-shares check with a key that is not holder 7's: refused" CK_ERR_WRONG_KEY \
    "$CONCLAVE" rekey check-all --state "$C/state" $(allkeys | head -n 6) \
    --holder 7="$KEYS/holder5.sec.asc" --passphrase-fd 3 3< <(passes 7)
check_output "all-shares check: all 7 new shares on one polynomial" 'All 7 new shares lie on one polynomial' \
    "$CONCLAVE" rekey check-all --state "$C/state" $(allkeys) \
    --passphrase-fd 3 3< <(passes 7)
check_output "the transcript records that the key was in memory, and the result" \
    '"type":"all-shares-check".*"consistent":true' \
    sh -c "grep -c all-shares-check-started '$C/state/transcript.jsonl' >/dev/null && grep '\"consistent\":true' '$C/state/transcript.jsonl'"
check "verify: new shares next" "$CONCLAVE" rekey verify --state "$C/state"
newshare() {	# NAME K: new holder K seals their new share
	"$CONCLAVE" rekey share --state "$C/state" --holder "$1" \
	    --share-file "$(ls "$C/new$2"/*.gpg)" --secret-key "$(newkey "$2").sec.asc" \
	    --passphrase-fd 3 3<"$PASSFILE"
}
check "new share of carol" newshare carol 3
check "new share of frank" newshare frank 5
check "new share of gina" newshare gina 6
check_output "three new shares are too few for threshold 4" CK_ERR_TOO_FEW_SHARES \
    "$CONCLAVE" rekey submit --state "$C/state"
check "new share of olga" newshare olga 7
check_output "the old shares are still in force before verification" \
    '"started":true' curl -s "$addr/v1/sys/rekey/init"
check "submit the new shares for verification" "$CONCLAVE" rekey submit --state "$C/state"
check "the bridge answers the verification" wait_envelope "$C" 6 submission-result
check_output "finish: verified, ceremony closed" 'Ceremony closed' \
    "$CONCLAVE" rekey finish --state "$C/state"
check "the bridge exits 0" bridge_wait "$C"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
# The record dates all twelve rekey steps (docs/paper.md); the quorum's
# shares come twice, old then new, and each round marks its own step.
check_output "the record's facts date the old shares' quorum (step 7)" \
    '^Step 7: Quorum: one holder at a time: 20.* \([0-9]+ times\)$' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl" --facts
check_output "... and the new shares' verification (steps 11 and 12)" \
    '^Step 12: Submit the shares, and the results: 20' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl" --facts
check "conclave record prints the rekey's record" \
    "$CONCLAVE" record "$C/state/transcript.jsonl" --out "$C/record.pdf"
check_output "the server now has 7 shares, threshold 4" '^7 4$' \
    seal_field k1 '"\(.n) \(.t)"'

check "k1 restarted (sealed)" bao_restart k1
check_fails "the old shares no longer unseal it" \
    bao_unseal k1 "$(key k1 1)" "$(key k1 2)" "$(key k1 3)"
curl -s -X PUT -d '{"reset":true}' "$addr/v1/sys/unseal" >/dev/null
newplain() { gpg_decrypt_as "new$1" "$(newkey "$1").sec.asc" <"$(ls "$C/new$1"/*.gpg)"; }
check "four new shares unseal it" bao_unseal k1 "$(newplain 2)" "$(newplain 4)" \
    "$(newplain 5)" "$(newplain 7)"

# --- a rekey abandoned after the new shares came: cancelled on the server ---
A=$T_TMP/abandon
mkdir -p "$A/x"
check "rekey begin (to be abandoned)" "$CONCLAVE" rekey begin --state "$A/state" \
    --exchange "$A/x" --threshold 2 --holder alice="$KEYS/holder1.asc" \
    --holder bob="$KEYS/holder2.asc"
check "bridge (abandon)" quorum_bridge_start "$A" rekey --exchange "$A/x" \
    --address "$addr" --wait 120
check "accept (abandon)" "$CONCLAVE" rekey accept --state "$A/state" \
    --confirm-sas "$(bridge_sas "$A")"
for k in 2 4 5 7; do
	check "current share $k" "$CONCLAVE" rekey share --state "$A/state" --holder "h$k" \
	    --share-file "$(ls "$C/new$k"/*.gpg)" --secret-key "$(newkey "$k").sec.asc" \
	    --passphrase-fd 3 3<"$PASSFILE"
done
check "submit (abandon)" "$CONCLAVE" rekey submit --state "$A/state"
check "new shares come back" wait_envelope "$A" 4 rekey-result
check "result (abandon)" "$CONCLAVE" rekey result --state "$A/state"
check_output "abandon: the old shares stay in force, closed" 'old shares stay in force' \
    "$CONCLAVE" rekey abandon --state "$A/state"
check "the bridge cancels and exits 0" bridge_wait "$A"
check_output "the abandoned transcript verifies" '^OK' "$CONCLAVE" verify "$A/state/transcript.jsonl"
check_output "the rekey is cancelled on the server" '"started":false' \
    curl -s "$addr/v1/sys/rekey/init"
check_output "the server keeps 7 shares, threshold 4" '^7 4$' seal_field k1 '"\(.n) \(.t)"'
# Its new shares never counted: as the handout to check shares against it
# is refused by name (it was taken, with no holder who could give a share).
check_output "the abandoned rekey is refused as a handout, by name" \
    'CK_ERR_STATE.*a rekey that did not complete: it handed out no share that counts' \
    joined "$CONCLAVE" unseal begin --state "$A/unseal" --exchange "$A/x" \
    --handout-transcript "$A/state/transcript.jsonl"
check "... nothing written" test ! -e "$A/unseal"
# A rekey that checked its old shares against the handout that gave them
# (the rekey above) and was abandoned before its verification: the old
# shares are still in force, so it carries that handout forward, as a
# quorum ceremony does, and the next ceremony still checks each share
# against its holder (the guided UI takes the chain's latest the same way).
A2=$T_TMP/abandon2
mkdir -p "$A2/x"
check "rekey begin, checking shares against the rekey's handout" "$CONCLAVE" rekey \
    begin --state "$A2/state" --exchange "$A2/x" --threshold 2 \
    --holder alice="$KEYS/holder1.asc" --holder bob="$KEYS/holder2.asc" \
    --handout-transcript "$C/state/transcript.jsonl"
check "abandoned before any share" "$CONCLAVE" rekey abandon --state "$A2/state" \
    --reason "the room rehearses an abandon"
cid=$(jq -r 'select(.type=="open") | .details.ceremony_id' "$C/state/transcript.jsonl")
a2id=$(jq -r 'select(.type=="open") | .details.ceremony_id' "$A2/state/transcript.jsonl")
check_output "the abandoned rekey gives the handout it took, carried forward" \
    "handout of rekey ceremony $cid .*carried forward from rekey ceremony $a2id" \
    sh -c "'$CONCLAVE' unseal begin --state '$A2/unseal' --exchange '$A2/x' \
    --handout-transcript '$A2/state/transcript.jsonl' | tr -s '\n ' '  '"
check_output "  the unseal's record names the rekey it came through" \
    "\"via\":\\{\"ceremony_id\":\"$a2id\",\"kind\":\"rekey\"\\}" \
    grep handout-commitments-loaded "$A2/unseal/transcript.jsonl"

# --- OpenBao's default listener: sys/rekey disabled, named with its setting
# (Vault has no such setting: its sys/rekey is on, as used above) ---
bao_start_shamir k2 || { fail "OpenBao (default listener) starts"; finish; }
check "k2 is initialised" bao_init k2 5 3
check "k2 is unsealed" bao_unseal k2 "$(key k2 1)" "$(key k2 2)" "$(key k2 3)"
if server_has unauthed-off; then
	D=$T_TMP/rk2
	mkdir -p "$D/x"
	check "rekey begin (k2)" "$CONCLAVE" rekey begin --state "$D/state" --exchange "$D/x" \
	    --threshold 2 --holder alice="$KEYS/holder1.asc" --holder bob="$KEYS/holder2.asc"
	check_output "without a token the bridge names the listener setting" \
	    'disable_unauthed_rekey_endpoints = false' \
	    "$BRIDGE" rekey --exchange "$D/x" --address "$(bao_addr k2)" --wait 5
	check_output "the appliance records it" CK_ERR_DISABLED_ENDPOINT \
	    "$CONCLAVE" rekey accept --state "$D/state"
	check_output "the transcript names the setting" \
	    '"setting":"disable_unauthed_rekey_endpoints = false"' cat "$D/state/transcript.jsonl"
	check_output "the ceremony is closed as failed, naming the setting (no loop)" \
	    'ceremony: rekey, failed: .*disable_unauthed_rekey_endpoints = false' \
	    joined "$CONCLAVE" verify "$D/state/transcript.jsonl"
	check_output "asking again changes nothing" CK_ERR_CLOSED \
	    "$CONCLAVE" rekey accept --state "$D/state"
	check_output "the offer is on the record once" '^1$' \
	    grep -c '"type":"endpoint-disabled"' "$D/state/transcript.jsonl"
	# Run again with a token, the bridge finds that offer: the ceremony is
	# closed, not a session a stopped bridge left (nothing to abandon).
	jq -r .root_token "$(bao_dir k2)/init.json" >"$D/root"
	"$BRIDGE" rekey --exchange "$D/x" --address "$(bao_addr k2)" \
	    --token-file "$D/root" --wait 5 >"$D/again.out" 2>&1
	check_output "run again with a token, it says the ceremony is closed" \
	    'is closed as failed: .* is disabled .*Begin a new rekey ceremony' \
	    joined cat "$D/again.out"
	check_fails "... and tells nobody to abandon it" grep -q 'abandon' "$D/again.out"
fi

# --- the same server with a token: sys/rotate/root, 5/3 -> 2/2 (Vault has
# no sys/rotate, 404: the bridge falls back to sys/rekey) ---
rotate=sys/rotate/root recovery=sys/rotate/recovery
server_has rotate-api || rotate=sys/rekey recovery=sys/rekey-recovery-key
jq -r .root_token "$(bao_dir k2)/init.json" >"$T_TMP/k2-root"
check "the holders' sticks for k2" quorum_sticks k2
check "a rekey through $rotate with a token" rotate_ceremony "$T_TMP/rot" "$(bao_addr k2)" "$T_TMP/k2-root"
check_output "the bridge used $rotate" "Rekey started on $rotate " \
    cat "$T_TMP/rot/bridge.out"
check_output "the transcript verifies (rotate)" '^OK' "$CONCLAVE" verify "$T_TMP/rot/state/transcript.jsonl"
check "k2 restarted" bao_restart k2
rot_plain() { gpg_decrypt_as "holder$2" "$KEYS/holder$2.sec.asc" <"$(ls "$T_TMP/rot/n$1"/*.gpg)"; }
check "the two new shares unseal k2" bao_unseal k2 "$(rot_plain 1 3)" "$(rot_plain 2 4)"

# --- recovery shares on the static seal (Vault: transit), through
# sys/rotate/recovery (Vault: sys/rekey-recovery-key) ---
bao_start_static r1 || { fail "OpenBao (static seal) starts"; finish; }
check "r1 is initialised with 5/3 recovery shares" bao_init r1 5 3
jq -r .root_token "$(bao_dir r1)/init.json" >"$T_TMP/r1-root"
check "the holders' recovery-share sticks" quorum_sticks r1
check "a recovery-share rekey through $recovery" \
    rotate_ceremony "$T_TMP/rec" "$(bao_addr r1)" "$T_TMP/r1-root" --recovery
check_output "the bridge used $recovery" "Rekey started on $recovery " \
    cat "$T_TMP/rec/bridge.out"
check_output "r1 now has 2 recovery shares, threshold 2" '^true 2 2$' \
    seal_field r1 '"\(.recovery_seal) \(.n) \(.t)"'
check_output "the transcript verifies (recovery)" '^OK' "$CONCLAVE" verify "$T_TMP/rec/state/transcript.jsonl"
check "every line the bridge printed fits 80 columns (issue 10)" bridge_fits80
finish
