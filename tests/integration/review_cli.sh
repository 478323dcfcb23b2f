#!/usr/bin/env bash
# The witnesses' review on the command line (issue 10, item 7): an unseal
# begun with --review against a real OpenBao server holds its transcript
# open at the completing step (`unseal result`): the nodes are unsealed but
# nothing is closed or signed, and `status` names the next command. Then
# `conclave review` records two witnesses, one confirming and one not (a
# deviation with its reason), prints the record's counts and closes; the
# transcript verifies, counts the deviation, and the witnesses' records
# come after the nodes' result. Bad inputs are refused and change nothing
# (the state folder compared byte for byte): a review before the ceremony
# is in review, an empty or unprintable name, --not-confirmed without a
# reason, --review on a step other than begin. Without --review the CLI
# closes at the completing step as before (unseal_ceremony.sh).
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
check "unseal begin --review" "$CONCLAVE" unseal begin --review \
    --state "$S" --exchange "$C/x"
check_output "the state carries the review mark" '"witness_review": *true' \
    cat "$S/ceremony.json"
check "the bridge offers a session" quorum_bridge_start "$C" unseal \
    --exchange "$C/x" --address "$(bao_addr r1)" --wait 60
check "accept with the SAS" "$CONCLAVE" unseal accept --state "$S" \
    --witness walt --confirm-sas "$(bridge_sas "$C")"

unchanged "a review before the completing step" "$S" "$C/x" -- \
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

unchanged "an empty witness name" "$S" -- \
    "$CONCLAVE" review --state "$S" --witness ""
check_output "  names why" 'CK_ERR_INVALID_ARG.*printable' joined cat "$T_TMP/out"
unchanged "an unprintable witness name" "$S" -- \
    "$CONCLAVE" review --state "$S" --witness "$(printf 'wal\033t')"
unchanged "a name too long" "$S" -- \
    "$CONCLAVE" review --state "$S" --witness "$(printf 'w%.0s' $(seq 200))"
unchanged "--not-confirmed without --reason" "$S" -- \
    "$CONCLAVE" review --state "$S" --witness walt --not-confirmed vera
check_output "  names why" 'needs --reason' cat "$T_TMP/out"
unchanged "an unprintable reason" "$S" -- \
    "$CONCLAVE" review --state "$S" --not-confirmed vera \
    --reason "$(printf 'two\nlines')"
unchanged "no witness at all" "$S" -- "$CONCLAVE" review --state "$S"
mkdir -p "$T_TMP/empty"
unchanged "no ceremony in the folder" "$T_TMP/empty" -- \
    "$CONCLAVE" review --state "$T_TMP/empty" --witness walt

check "review: walt confirms, vera does not" sh -c "'$CONCLAVE' review \
    --state '$S' --witness walt --not-confirmed vera \
    --reason 'the paper script shows another node' >'$T_TMP/review.out' 2>&1"
check_output "  prints the record's counts" \
    '^Record: 0 refusals, 1 deviation, 1 exception in all' cat "$T_TMP/review.out"
check_output "  and the closed transcript's head" '^Head [0-9a-f]{64}$' \
    cat "$T_TMP/review.out"
check "  the transcript is signed" test -s "$S/transcript.jsonl.minisig"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$S/transcript.jsonl"
check_output "verify counts the deviation" \
    '^record: 0 refusals, 1 deviation, 1 exception in all' \
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
