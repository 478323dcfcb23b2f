#!/usr/bin/env bash
# The witnesses' review on the command line (issue 10, item 7): an unseal
# begun with --review against a real OpenBao server holds its transcript
# open at the completing step (`unseal result`): the nodes are unsealed but
# nothing is closed or signed, and `status` names the next command. Then
# `conclave review` records two witnesses, one confirming and one not (a
# deviation with its reason), prints the record's counts and closes; the
# transcript verifies, counts the deviation, and the witnesses' records
# come after the nodes' result. --review at begin declares the witnesses
# (--witness NAME): without one the begin is refused. Bad inputs to the
# review of an open ceremony are refused, each on the record once, and
# change nothing else (the state folder compared byte for byte, the
# transcript's old bytes kept): a review before the ceremony is in review,
# an empty or unprintable name, a name not declared at begin (refused by
# name), a witness answering twice, --not-confirmed without a reason, and
# an abandon once the ceremony is in review (its irreversible steps are
# done: the review closes it). --review on a step other than begin is a
# usage error. Without --review the CLI closes at the completing step as
# before (unseal_ceremony.sh).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_shamir r1 || { fail "OpenBao (Shamir) starts"; finish; }
check "the server is initialised (sealed)" bao_init r1 5 3
check "the holders' sticks get their encrypted shares" quorum_sticks r1

C=$T_TMP/c
S=$C/state
mkdir -p "$C/x"
check_output "--review belongs to begin only" 'option of begin only' \
    "$CONCLAVE" unseal status --state "$S" --review
unchanged "--review without the witnesses who review" "$S" -- \
    "$CONCLAVE" unseal begin --review --state "$S" --exchange "$C/x"
check_output "  names why" 'names the witnesses.*--witness NAME' cat "$T_TMP/out"
unchanged "--review with one witness twice" "$S" -- "$CONCLAVE" unseal begin \
    --review --witness walt --witness walt --state "$S" --exchange "$C/x"
check "unseal begin --review, walt and vera witnessing" "$CONCLAVE" unseal \
    begin --review --witness walt --witness vera --state "$S" --exchange "$C/x"
check_output "the state carries the review mark" '"witness_review": *true' \
    cat "$S/ceremony.json"
check_output "the opening record names the witnesses" \
    '"review_witnesses":\["walt","vera"\]' head -n 1 "$S/transcript.jsonl"
check "the bridge offers a session" quorum_bridge_start "$C" unseal \
    --exchange "$C/x" --address "$(bao_addr r1)" --wait 60
check "accept with the SAS" "$CONCLAVE" unseal accept --state "$S" \
    --witness walt --confirm-sas "$(bridge_sas "$C")"

refused_once "a review before the completing step" "$S" CK_ERR_STATE -- \
    "$CONCLAVE" review --state "$S" --witness walt
check_output "  names why" 'CK_ERR_STATE.*not held for the witnesses' \
    joined cat "$T_TMP/out"

check "alice's share" quorum_share unseal "$C" alice 1
check "bob's share" quorum_share unseal "$C" bob 2
check "carol's share" quorum_share unseal "$C" carol 3
check "submit" "$CONCLAVE" unseal submit --state "$S"
check "the bridge answers" wait_envelope "$C" 4 submission-result
check "result: the node is unsealed" \
    sh -c "'$CONCLAVE' unseal result --state '$S' >'$T_TMP/result.out' 2>&1"
check_output "  the node is unsealed on the server" '^false$' seal_field r1 .sealed
check_output "  the result says the transcript stays open for review" \
    'stays open for the witnesses. review' cat "$T_TMP/result.out"
check_output "  and what to run next" 'Next: conclave review --state' \
    cat "$T_TMP/result.out"
check_fails "  the transcript is not closed: no signature" \
    test -e "$S/transcript.jsonl.minisig"
check_fails "  nor a close record" grep -q '"type":"close"' "$S/transcript.jsonl"
check_output "status says the ceremony is in review, and what next" \
    'conclave review --state' "$CONCLAVE" unseal status --state "$S"
check "the bridge exits 0" bridge_wait "$C"

refused_once "an empty witness name" "$S" CK_ERR_INVALID_ARG -- \
    "$CONCLAVE" review --state "$S" --witness ""
check_output "  names why" 'CK_ERR_INVALID_ARG.*printable' joined cat "$T_TMP/out"
refused_once "an unprintable witness name" "$S" CK_ERR_INVALID_ARG -- \
    "$CONCLAVE" review --state "$S" --witness "$(printf 'wal\033t')"
refused_once "a name too long" "$S" CK_ERR_INVALID_ARG -- \
    "$CONCLAVE" review --state "$S" --witness "$(printf 'w%.0s' $(seq 200))"
refused_once "--not-confirmed without --reason" "$S" CK_ERR_INVALID_ARG -- \
    "$CONCLAVE" review --state "$S" --witness walt --not-confirmed vera
check_output "  names why" 'needs --reason' cat "$T_TMP/out"
refused_once "an unprintable reason" "$S" CK_ERR_INVALID_ARG -- \
    "$CONCLAVE" review --state "$S" --not-confirmed vera \
    --reason "$(printf 'two\nlines')"
refused_once "a witness not declared at begin" "$S" CK_ERR_NOT_A_WITNESS -- \
    "$CONCLAVE" review --state "$S" --witness walt --witness mallory
check_output "  names the name and the witnesses" \
    'CK_ERR_NOT_A_WITNESS.*mallory is not one of this ceremony.s witnesses \(walt, vera\)' \
    joined cat "$T_TMP/out"
check_output "  the record names mallory too" '"type":"refused".*mallory is not one' \
    tail -n 1 "$S/transcript.jsonl"
refused_once "a witness answering twice" "$S" CK_ERR_INVALID_ARG -- \
    "$CONCLAVE" review --state "$S" --witness walt --not-confirmed walt --reason x
check_output "  names why" 'walt answers twice' cat "$T_TMP/out"
refused_once "abandon after the irreversible steps" "$S" CK_ERR_IN_REVIEW -- \
    "$CONCLAVE" unseal abandon --state "$S" --reason "changed our minds"
check_output "  says what to do instead: the review" \
    'CK_ERR_IN_REVIEW.*conclave review --state .* --not-confirmed NAME --reason TEXT' \
    joined cat "$T_TMP/out"
check_fails "  and nothing is recorded as abandoned" grep -qE 'unseal-abandoned|"outcome":"abandoned"' "$S/transcript.jsonl"
unchanged "no witness at all" "$S" -- "$CONCLAVE" review --state "$S"
mkdir -p "$T_TMP/empty"
unchanged "no ceremony in the folder" "$T_TMP/empty" -- \
    "$CONCLAVE" review --state "$T_TMP/empty" --witness walt
nref=$(grep -c '"type":"refused"' "$S/transcript.jsonl")
check "the nine refusals are on the record" test "$nref" = 9

check "review: walt confirms, vera does not" sh -c "'$CONCLAVE' review \
    --state '$S' --witness walt --not-confirmed vera \
    --reason 'the paper script shows another node' >'$T_TMP/review.out' 2>&1"
check_output "  prints the record's counts" \
    "^Record: $nref refusals, 1 deviation, $((nref + 1)) exceptions in all" cat "$T_TMP/review.out"
check_output "  and the closed transcript's head" '^Head [0-9a-f]{64}$' \
    cat "$T_TMP/review.out"
check "  the transcript is signed" test -s "$S/transcript.jsonl.minisig"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$S/transcript.jsonl"
check_output "verify counts the refusals and the deviation" \
    "^record: $nref refusals, 1 deviation, $((nref + 1)) exceptions in all" \
    "$CONCLAVE" verify "$S/transcript.jsonl"
check "stock minisign verifies it" minisign -Vm "$S/transcript.jsonl" \
    -p "$S/transcript.jsonl.pub" -q
# The order on the record: the nodes' result, then walt, then vera, then the close.
order=$(jq -r '.type + ":" + .actor' "$S/transcript.jsonl" | grep -n \
    -e '^unseal-result:' -e '^witness-confirmation:walt$' \
    -e '^deviation:vera$' -e '^close:' | cut -d: -f2- | tr '\n' ' ')
check_output "the witnesses answer after the result, before the close" \
    '^unseal-result:bridge witness-confirmation:walt deviation:vera close:' \
    echo "$order"
check_output "the deviation carries vera's reason" \
    '"type":"deviation".*the paper script shows another node' \
    cat "$S/transcript.jsonl"
unchanged "a review of the closed ceremony" "$S" -- \
    "$CONCLAVE" review --state "$S" --witness walt
check_output "status says closed" '^closed$' "$CONCLAVE" unseal status --state "$S"
finish
