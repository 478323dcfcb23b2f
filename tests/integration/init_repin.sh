#!/usr/bin/env bash
# A restarted bridge's new key (issue 10, item 1; docs/envelope.md
# "Re-pin"): the bridge that wrote the init result is killed while it
# waits for the root token; started again, it offers a new session key,
# and the appliance pins it only when the room's words match. Bad inputs
# first, each with its specific error, the state and exchange folders
# byte for byte as before and the refusal on the record once: a re-pin of
# another ceremony, one with a forged signature, one of another kind, one
# whose words the room rejects; and what an unpinned key signs is still
# refused. Then the bridge started once more (its re-pin follows the
# first, which is passed over), its words typed as heard, and the ceremony
# closes with one deviation on the record.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"
ENV_TOOL=$BUILD/tests/tools/envelope_tool

check "the test keys, quick to unlock" resume_fast_keys
bao_start_shamir p1 || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr p1)
C=$T_TMP/c
S=$C/state
mkdir -p "$C/x"
check "begin: two holders, threshold 2" "$CONCLAVE" init begin --state "$S" \
    --exchange "$C/x" -t 2 --holder alice="$KEYS/holder1.asc" \
    --holder bob="$KEYS/holder2.asc" --operator olga="$KEYS/operator.asc"
"$CONCLAVE" init status --state "$S" >"$C/begin.out"
check "the bridge initialises the server" bridge_init_start "$C" "$addr"
check "accept" "$CONCLAVE" init accept --state "$S"
check "handout 1" handout "$C" 1
check "handout 2" handout "$C" 2
check "the holders unseal the server" \
    bao_unseal p1 "$(gpg_share "$C" 1)" "$(gpg_share "$C" 2)"
tok=$(operator_root_token "$C")
kill -9 "$(cat "$C/bridge.pid")"
wait "$(cat "$C/bridge.pid")" 2>/dev/null
F=$(ls -d "$C"/x/*)
id=$(basename "$F")

# The bridge started again on the same exchange folder.
bridge_init_restart "$C" "$addr" "$C/bridge2.out"
words=$REPIN_WORDS
check "the restarted bridge offers a new key (a bridge-repin at seq 3)" \
    test -f "$F/000003-bridge-repin.env"
check "  and shows its words for the room" test -n "$words"
check_output "  and the root token for the operator again" \
    "encrypted to the operator's key" cat "$C/bridge2.out"
cp "$F/000003-bridge-repin.env" "$T_TMP/good.env"

# The state and exchange folders, byte for byte.
bytes() { (cd "$C" && find state x -type f ! -name transcript.jsonl -print0 |
    sort -z | xargs -0 sha256sum); }
refusals() { jq -s "[.[] | select(.type == \"refused\" and .details.what == \"bridge-repin\" and .details.error == \"$1\")] | length" "$S/transcript.jsonl"; }
put() { cp "$1" "$F/000003-bridge-repin.env"; }
# refused NAME ERROR REASON-REGEX [WORDS]: repin with WORDS (the right ones
# by default) is refused with ERROR, nothing moves, recorded once.
refused() {
	local before
	before=$(bytes)
	check_output "$1: refused with $2" "$2.*$3" joined "$CONCLAVE" init repin \
	    --state "$S" --witness walt --confirm-sas "${4:-$words}"
	check "$1: state and exchange folders as they were" [ "$(bytes)" = "$before" ]
	check "$1: on the record once" [ "$(refusals "$2")" = 1 ]
	check_output "$1: nothing pinned, the ceremony still accepted" '^accepted$' \
	    sh -c "'$CONCLAVE' init status --state '$S' | head -n 1"
}

"$ENV_TOOL" keypair "$T_TMP/other.key"
echo '{"kind":"init","after_seq":2}' | "$ENV_TOOL" forge bridge-repin \
    0123456789abcdef0123456789abcdef 3 "$T_TMP/other.key" >"$T_TMP/other.env"
put "$T_TMP/other.env"
refused "a re-pin of another ceremony" CK_ERR_WRONG_CEREMONY ''
{ head -c 120 "$T_TMP/good.env"; printf 'X'; tail -c +122 "$T_TMP/good.env"; } >"$T_TMP/forged.env"
put "$T_TMP/forged.env"
refused "a re-pin with a forged signature" CK_ERR_BAD_SIGNATURE ''
echo '{"kind":"unseal","after_seq":2}' | "$ENV_TOOL" forge bridge-repin "$id" 3 \
    "$T_TMP/other.key" >"$T_TMP/kind.env"
put "$T_TMP/kind.env"
refused "a re-pin for an unseal" CK_ERR_FORMAT "its kind is not this ceremony's"
put "$T_TMP/good.env"
wrong=$(echo "$words" | awk '{ $3 = ($3 == "aardvark" ? "absurd" : "aardvark"); print }')
refused "words the room rejects" CK_ERR_SAS_MISMATCH 'word 3 of 5' "$wrong"

# Unpinned, the new key's signature is worth nothing.
check_output "close waits for the re-pin, naming the words" \
    "CK_ERR_STATE.*restarted with a new key.*$words" joined "$CONCLAVE" init close --state "$S"
before=$(bytes)
echo '{"root_token_revoked":true,"accessor":"x","lookup_refused":true}' |
    "$ENV_TOOL" forge closing-result "$id" 3 "$T_TMP/other.key" >"$T_TMP/close.env"
rm "$F/000003-bridge-repin.env"
cp "$T_TMP/close.env" "$F/000003-closing-result.env"
check_output "a closing result signed by an unpinned key: refused" CK_ERR_WRONG_KEY \
    "$CONCLAVE" init close --state "$S"
rm "$F/000003-closing-result.env"
put "$T_TMP/good.env"
check "  the folders as they were" [ "$(bytes)" = "$before" ]

# Started again once more before the room compared: that bridge's re-pin
# follows the first, and only its words are on a screen now.
kill -9 "$BPID2"
wait "$BPID2" 2>/dev/null
bridge_init_restart "$C" "$addr" "$C/bridge3.out"
check "a bridge started once more offers another key (seq 4)" \
    test -f "$F/000004-bridge-repin.env"
check "  with other words" test "$REPIN_WORDS" != "$words"
words=$REPIN_WORDS

# The room's words as heard: other case, other spacing.
loud=$(echo "$words" | tr a-z A-Z | sed 's/ /   /g')
check_output "the words typed as heard pin the new key" 'new key is pinned' \
    "$CONCLAVE" init repin --state "$S" --witness walt --confirm-sas "  $loud "
check_output "  recorded once as a deviation, the first re-pin passed over" '^1 1$' jq -rs \
    '[.[] | select(.type == "deviation" and .details.text == "bridge restarted, key re-pinned")] |
    "\(length) \(.[0].details.superseded)"' "$S/transcript.jsonl"
printf '%s\n' "$tok" >&"$TOKEN_FD"
exec {TOKEN_FD}>&-
check "the restarted bridge revokes the root token" wait "$BPID2"
check_output "the closing result, signed by the re-pinned key, closes" \
    'root token is revoked' "$CONCLAVE" init close --state "$S"
check_output "verify: closed, 1 deviation among the exceptions" \
    '5 refusals, 1 deviation' "$CONCLAVE" verify "$S/transcript.jsonl"
finish
