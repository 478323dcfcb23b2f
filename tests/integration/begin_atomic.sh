#!/usr/bin/env bash
# A refused begin changes nothing: every check runs before anything is
# written, so the state folder and the exchange stick are byte for byte as
# they were (a recursive listing with modes, sizes and sha256 compared
# before and after). Cases: a --handout-transcript of a ceremony that
# checked no handout (nothing to carry forward), one cut short, one that is not a transcript; the exchange folder missing; a
# state folder that holds a ceremony (which names the ways on instead of
# a bare "already exists"). No server is needed: nothing gets that far.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ceremony.sh"

X=$T_TMP/x
mkdir -p "$X"
# An open init (its transcript: the roster, no handouts yet) and an open
# unseal: transcripts to hand to later begins.
check "an init begins" ceremony_begin "$T_TMP/init" 3
mkdir -p "$T_TMP/un1"
check "an unseal begins" "$CONCLAVE" unseal begin --state "$T_TMP/un1/state" --exchange "$X"
UNSEAL_T=$T_TMP/un1/state/transcript.jsonl
INIT_T=$T_TMP/init/state/transcript.jsonl
head -c -20 "$INIT_T" >"$T_TMP/cut.jsonl"
echo "not a transcript" >"$T_TMP/junk.jsonl"

unchanged "unseal begin, handout transcript of an unseal that checked none" \
    "$T_TMP/s1" "$X" -- \
    "$CONCLAVE" unseal begin --state "$T_TMP/s1" --exchange "$X" \
    --handout-transcript "$UNSEAL_T"
check_output "... says why" 'CK_ERR_NOT_FOUND.*checked no handout' \
    joined cat "$T_TMP/out"
mkdir "$T_TMP/s2"
unchanged "generate-root begin, handout transcript cut short" "$T_TMP/s2" "$X" -- \
    "$CONCLAVE" generate-root begin --state "$T_TMP/s2" --exchange "$X" \
    --handout-transcript "$T_TMP/cut.jsonl"
check_output "... says why" 'CK_ERR_TRUNCATED' cat "$T_TMP/out"
unchanged "rekey begin, handout transcript not a transcript" "$T_TMP/s3" "$X" -- \
    "$CONCLAVE" rekey begin --state "$T_TMP/s3" --exchange "$X" -t 2 \
    --holder a="$KEYS/holder1.asc" --holder b="$KEYS/holder2.asc" \
    --handout-transcript "$T_TMP/junk.jsonl"
W=$T_TMP/w
mkdir -p "$W"
unchanged "unseal begin, exchange folder missing" "$W" -- \
    "$CONCLAVE" unseal begin --state "$W/s4" --exchange "$W/nostick"
check_output "... says why" 'CK_ERR_NOT_FOUND' cat "$T_TMP/out"
mkdir "$W/s5"
unchanged "init begin, exchange folder missing" "$W" -- \
    "$CONCLAVE" init begin --state "$W/s5" --exchange "$W/nostick" -t 2 \
    --holder a="$KEYS/holder1.asc" --holder b="$KEYS/holder2.asc" \
    --operator o="$KEYS/operator.asc"
unchanged "generate-root begin where an unseal is open" "$T_TMP/un1" "$X" -- \
    "$CONCLAVE" generate-root begin --state "$T_TMP/un1/state" --exchange "$X"
check_output "... offers to go on or abandon, not 'already exists'" \
    'a unseal ceremony is in .*\(requested\)' cat "$T_TMP/out"
check_output "... names the abandon step" 'conclave unseal abandon --state' \
    cat "$T_TMP/out"

# The same begin with a good transcript goes through: an open init's.
check_output "unseal begin takes an open init's holders" \
    'handout of init ceremony .* \(open\)' \
    "$CONCLAVE" unseal begin --state "$T_TMP/s6" --exchange "$X" \
    --handout-transcript "$INIT_T"
check_output "... and records it" '"type":"handout-commitments-loaded"' \
    cat "$T_TMP/s6/transcript.jsonl"
finish
