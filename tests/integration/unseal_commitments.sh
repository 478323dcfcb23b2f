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
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
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
finish
