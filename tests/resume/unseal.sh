#!/usr/bin/env bash
# Resume from anything, unseal on the appliance's command line (issue 10,
# item 1): against a real OpenBao and the real bridge, every step of the
# ceremony (begin, accept, three shares, submit, result) is killed at each
# of its durable writes in turn (tests/crashresume.sh), restarted and
# finished; every kill point must end as the run without a crash did, and
# the whole ceremony must still unseal the server and verify.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

check "the test keys, quick to unlock" resume_fast_keys

bao_start_shamir r1 || { fail "OpenBao starts"; finish; }
check "OpenBao is initialised (5 shares, threshold 3)" bao_init r1 5 3
check "the holders' sticks" quorum_sticks r1
check_output "the server is sealed" '^true$' seal_field r1 .sealed
addr=$(bao_addr r1)

C=$T_TMP/c
mkdir -p "$C/x"
S=$C/state
R_STATUS=("$CONCLAVE" unseal status --state "$S")

resume_step "begin" "$S" "$C/x" resume_status '^requested$' -- \
    "$CONCLAVE" unseal begin --state "$S" --exchange "$C/x"
check "the bridge offers a session" quorum_bridge_start "$C" unseal \
    --exchange "$C/x" --address "$addr" --wait 900
RESUME_BRIDGE_PID=$(cat "$C/bridge.pid")
resume_step "accept" "$S" "$C/x" resume_status '^confirmed$' -- \
    "$CONCLAVE" unseal accept --state "$S" --confirm-sas "$(bridge_sas "$C")"
names=(alice bob carol)
for k in 1 2 3; do
	resume_step "share of ${names[$k - 1]}" "$S" "$C/x" resume_status "$k of 3 shares sealed" -- \
	    quorum_share unseal "$C" "${names[$k - 1]}" "$k"
done
resume_step "submit" "$S" "$C/x" resume_status '^submitted$' -- \
    "$CONCLAVE" unseal submit --state "$S"
check "the bridge answers" wait_envelope "$C" 4 submission-result
RESUME_BRIDGE_PID=
resume_step "result" "$S" "$C/x" resume_status '^closed$' -- \
    "$CONCLAVE" unseal result --state "$S"
check "the bridge exits 0" bridge_wait "$C"
check_output "the server is unsealed, once" '^false$' seal_field r1 .sealed
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$S/transcript.jsonl"
check_output "each share sealed once" '^3$' grep -c '"type":"share-sealed"' "$S/transcript.jsonl"
resume_summary
finish
