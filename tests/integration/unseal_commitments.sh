#!/usr/bin/env bash
# Shares checked against the init ceremony's handout commitments: a whole
# init ceremony (tests/ceremony.sh) leaves each holder's encrypted share on
# their stick and a keyed commitment per share in its closed transcript;
# `conclave unseal begin --handout-transcript` loads those, and then a share of
# another cluster is refused on the appliance (CK_ERR_WRONG_CEREMONY) before
# anything is sealed, another holder's stick is named and refused before a
# PIN is asked (CK_ERR_WRONG_HOLDER), as is a stick bringing another
# holder's key file with the right share file, while the holders' own shares unseal
# the server. A handout with the wrong holder's key writes nothing to the stick.
# Commitments follow the chain: the next unseal, given the first unseal's
# transcript, checks its shares against the handout that unseal took (carried
# forward, the record naming where from), and so does a generate-root chained
# to that; a carried handout whose transcript was tampered with is refused.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_shamir s1 --legacy-generate-root ||
    { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr s1)
I=$T_TMP/init
check "init begin" ceremony_begin "$I" 3
check "bridge init" bridge_init_start "$I" "$addr"
check "init accept" "$CONCLAVE" init accept --state "$I/state"
mkdir -p "$I/stick2"
check_fails "a handout to bob with alice's key is refused" \
    "$CONCLAVE" init handout --state "$I/state" --holder 2 --stick "$I/stick2" \
    --secret-key "$KEYS/holder1.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
check_output "... and leaves bob's stick empty" '^$' ls -A "$I/stick2"
for k in 1 2 3 4 5; do
	check "init handout $k" handout "$I" "$k"
done
check "holders 2, 3, 4 unseal s1" bao_unseal s1 "$(gpg_share "$I" 2)" \
    "$(gpg_share "$I" 3)" "$(gpg_share "$I" 4)"
root=$(operator_root_token "$I")
check "a sealer is configured with the root token" configure_server "$addr" "$root"
check "init: the root token is revoked" bridge_init_finish "$I" "$root"
check "init close" "$CONCLAVE" init close --state "$I/state"
check "the sealer seals s1" seal_with_sealer "$addr"

# Another cluster's share, on carol's stick.
bao_start_shamir s2 || { fail "a second OpenBao starts"; finish; }
check "the other cluster is initialised" bao_init s2 5 3
encrypt_share 3 "$(jq -r '.keys[2]' "$(bao_dir s2)/init.json")" >"$T_TMP/other.gpg"

C=$T_TMP/un
mkdir -p "$C/x"
check_output "unseal begin loads the handout commitments" 'handout of init ceremony' \
    "$CONCLAVE" unseal begin --state "$C/state" --exchange "$C/x" \
    --handout-transcript "$I/state/transcript.jsonl"
check_output "an unclosed or foreign transcript is refused" 'CK_ERR' \
    "$CONCLAVE" unseal begin --state "$T_TMP/bad/state" --exchange "$C/x" \
    --handout-transcript "$C/state/transcript.jsonl"
check "bridge unseal" quorum_bridge_start "$C" unseal --exchange "$C/x" \
    --address "$addr" --wait 60
wrong3=$(bridge_sas "$C" | awk '{ $3 = "zulu"; print }')
check_output "a word typed wrong is named, nothing accepted" 'word 3 of 5 typed' \
    "$CONCLAVE" unseal accept --state "$C/state" --confirm-sas "$wrong3"
check "the words as heard (capitals, spacing) are accepted" \
    "$CONCLAVE" unseal accept --state "$C/state" \
    --confirm-sas "  $(bridge_sas "$C" | tr a-z A-Z | sed 's/ /   /g') "
stickshare() {	# NAME K [FILE]
	"$CONCLAVE" unseal share --state "$C/state" --holder "$1" \
	    --share-file "${3:-$(ls "$I/stick$2"/*.gpg)}" \
	    --secret-key "$KEYS/holder$2.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
}
check_output "a share of another cluster is refused before sealing" \
    'CK_ERR_WRONG_CEREMONY' stickshare carol 3 "$T_TMP/other.gpg"
check_output "the refusal is on the record" '"error":"CK_ERR_WRONG_CEREMONY"' \
    cat "$C/state/transcript.jsonl"
check_output "bob with carol's stick: named, before any PIN is read" \
    "this is carol's share \\(share 3\\), not bob's" \
    "$CONCLAVE" unseal share --state "$C/state" --holder bob \
    --share-file "$(ls "$I/stick3"/*.gpg)" --passphrase-fd 3 3</dev/null
check_output "... on the record once" '^1$' \
    grep -c '"error":"CK_ERR_WRONG_HOLDER"' "$C/state/transcript.jsonl"
check_output "bob with carol's stick and carol's key file: refused too" \
    "this is carol's share" "$CONCLAVE" unseal share --state "$C/state" --holder bob \
    --share-file "$(ls "$I/stick3"/*.gpg)" --secret-key "$KEYS/holder3.sec.asc" \
    --passphrase-fd 3 3<"$PASSFILE"
check_output "bob's own share with carol's key file: named, before any passphrase is read" \
    "CK_ERR_WRONG_HOLDER.*this stick brings carol's key, not bob's" \
    joined "$CONCLAVE" unseal share --state "$C/state" --holder bob \
    --share-file "$(ls "$I/stick2"/*.gpg)" --secret-key "$KEYS/holder3.sec.asc" \
    --passphrase-fd 3 3</dev/null
check_output "the refusals on the record say whose share and whose key it was" \
    "this is carol's share.*this stick brings carol's key" \
    sh -c "jq -r 'select(.type==\"refused\") | .details.reason' '$C/state/transcript.jsonl' | tr '\n' ' '"
check_output "nothing was sealed" '0 of 3 shares sealed' \
    "$CONCLAVE" unseal status --state "$C/state"
check "alice's handed-out share passes" stickshare alice 1
check "carol's own share passes" stickshare carol 3
check "erin's share passes" stickshare erin 5
check "submit" "$CONCLAVE" unseal submit --state "$C/state"
check "the bridge answers" wait_envelope "$C" 4 submission-result
check_output "s1 is unsealed, ceremony closed" 'Ceremony closed' \
    "$CONCLAVE" unseal result --state "$C/state"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- the next unseal, chained to the first: its handout carried forward ---
flat() { joined "$@" | tr '\n' ' '; }	# CMD...: its output as one line (wrapped lines rejoined)
check "the sealer seals s1 again" seal_with_sealer "$addr"
first=$(jq -r 'select(.type=="open") | .details.ceremony_id' "$C/state/transcript.jsonl")
initid=$(jq -r 'select(.type=="open") | .details.ceremony_id' "$I/state/transcript.jsonl")
U=$T_TMP/un2
mkdir -p "$U/x"
check_output "unseal begin with the first unseal's transcript: carried forward" \
    "handout of init ceremony $initid.*carried forward from unseal ceremony $first" \
    flat "$CONCLAVE" unseal begin --state "$U/state" --exchange "$U/x" \
    --handout-transcript "$C/state/transcript.jsonl"
check_output "the record names the init and the unseal it came through" \
    "^$initid unseal $first 5\$" jq -r 'select(.type=="handout-commitments-loaded") |
    "\(.details.ceremony_id) \(.details.via.kind) \(.details.via.ceremony_id) \(.details.handout | map(select(.commitment)) | length)"' \
    "$U/state/transcript.jsonl"
check "bridge unseal (2)" quorum_bridge_start "$U" unseal --exchange "$U/x" \
    --address "$addr" --wait 60
check "accept (2)" "$CONCLAVE" unseal accept --state "$U/state" \
    --confirm-sas "$(bridge_sas "$U")"
sticks() { for k in 1 2 3 4 5; do snap "$I/stick$k"; done; }
sticks >"$T_TMP/sticks.before"
refused_once "carol's share under bob's name, chained to an unseal" "$U/state" \
    CK_ERR_WRONG_HOLDER -- "$CONCLAVE" unseal share --state "$U/state" --holder bob \
    --share-file "$(ls "$I/stick3"/*.gpg)" --passphrase-fd 3 3</dev/null
check_output "... named: carol's share, not bob's" "this is carol's share \\(share 3\\), not bob's" \
    cat "$T_TMP/out"
check "... the sticks byte-identical" cmp -s "$T_TMP/sticks.before" <(sticks)
stickshare2() { C=$U stickshare "$@"; }
check "bob's own share passes" stickshare2 bob 2
check "carol's own share passes" stickshare2 carol 3
check "dave's share passes" stickshare2 dave 4
check "submit (2)" "$CONCLAVE" unseal submit --state "$U/state"
check "the bridge answers (2)" wait_envelope "$U" 4 submission-result
check_output "s1 is unsealed again, ceremony closed" 'Ceremony closed' \
    "$CONCLAVE" unseal result --state "$U/state"
check_output "the second unseal's transcript verifies" '^OK' \
    "$CONCLAVE" verify "$U/state/transcript.jsonl"

# --- a carried handout tampered with: refused, nothing written ---
mkdir -p "$T_TMP/tamper"
cp "$U/state/transcript.jsonl" "$U/state/transcript.jsonl.minisig" "$T_TMP/tamper/"
sed -i '/handout-commitments-loaded/s/"name":"bob"/"name":"eve"/' \
    "$T_TMP/tamper/transcript.jsonl"
check_fails "the tampered copy differs" cmp -s "$T_TMP/tamper/transcript.jsonl" \
    "$U/state/transcript.jsonl"
mkdir -p "$T_TMP/tx"
unchanged "generate-root begin, a tampered carried handout" "$T_TMP/tg" "$T_TMP/tx" -- \
    "$CONCLAVE" generate-root begin --state "$T_TMP/tg" --exchange "$T_TMP/tx" \
    --handout-transcript "$T_TMP/tamper/transcript.jsonl"
check_output "... because it does not verify" 'does not verify' cat "$T_TMP/out"

# --- a generate-root chained to the second unseal ---
G=$T_TMP/gr
mkdir -p "$G/x"
check_output "generate-root begin carries the handout on once more" \
    "handout of init ceremony $initid.*carried forward from unseal ceremony" \
    flat "$CONCLAVE" generate-root begin --state "$G/state" --exchange "$G/x" \
    --handout-transcript "$U/state/transcript.jsonl"
check_output "... through the second unseal" "^$(jq -r 'select(.type=="open") | .details.ceremony_id' "$U/state/transcript.jsonl")\$" \
    jq -r 'select(.type=="handout-commitments-loaded") | .details.via.ceremony_id' \
    "$G/state/transcript.jsonl"
check "bridge generate-root" quorum_bridge_start_token "$G" generate-root \
    --exchange "$G/x" --address "$addr" --token-out "$G/new-token" --wait 60
check "accept (generate-root)" "$CONCLAVE" generate-root accept --state "$G/state" \
    --confirm-sas "$(bridge_sas "$G")"
refused_once "generate-root: erin's share under alice's name" "$G/state" \
    CK_ERR_WRONG_HOLDER -- "$CONCLAVE" generate-root share --state "$G/state" \
    --holder alice --share-file "$(ls "$I/stick5"/*.gpg)" --passphrase-fd 3 3</dev/null
check_output "... named: erin's share, not alice's" "this is erin's share \\(share 5\\), not alice's" \
    cat "$T_TMP/out"
grshare() { "$CONCLAVE" generate-root share --state "$G/state" --holder "$1" \
    --share-file "$(ls "$I/stick$2"/*.gpg)" --secret-key "$KEYS/holder$2.sec.asc" \
    --passphrase-fd 3 3<"$PASSFILE"; }
check "alice's own share passes (generate-root)" grshare alice 1
check "erin's own share passes (generate-root)" grshare erin 5
check "bob's own share passes (generate-root)" grshare bob 2
check "submit (generate-root)" "$CONCLAVE" generate-root submit --state "$G/state"
check "the bridge answers (generate-root)" wait_envelope "$G" 4 generate-root-result
check "result (generate-root)" "$CONCLAVE" generate-root result --state "$G/state"
quorum_give_token "$G" "$(cat "$G/new-token")"
check "the bridge revokes the new root token" bridge_wait "$G"
check_output "generate-root closes" 'Ceremony closed' \
    "$CONCLAVE" generate-root close --state "$G/state"
check_output "its transcript verifies" '^OK' "$CONCLAVE" verify "$G/state/transcript.jsonl"
finish
