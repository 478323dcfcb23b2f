#!/usr/bin/env bash
# Resume from anything, init on the appliance's command line (issue 10,
# item 1): against a real OpenBao and the real bridge, every step of the
# ceremony (begin, accept, each holder's handout, close) is killed at each
# of its durable writes in turn (tests/crashresume.sh), restarted and
# finished; every kill point must end as the run without a crash did, and
# the whole ceremony must still initialise the server, revoke its root
# token and verify.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

check "the test keys, quick to unlock" resume_fast_keys

bao_start_shamir i1 || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr i1)

C=$T_TMP/c
mkdir -p "$C/x"
S=$C/state
# The phase and the handouts (status also shows the ceremony key, which
# differs between begins).
R_STATUS=(sh -c '"$0" init status --state "$1" | head -n 2' "$CONCLAVE" "$S")
# Three holders, threshold 2: every kind of step, each holder's handout.
begin() {
	"$CONCLAVE" init begin --state "$S" --exchange "$C/x" -t 2 \
	    --holder alice="$KEYS/holder1.asc" --holder bob="$KEYS/holder2.asc" \
	    --holder carol="$KEYS/holder3.asc" --operator olga="$KEYS/operator.asc" \
	    --witness walt="$KEYS/witness.asc"
}

resume_step "begin" "$S" "$C/x" resume_status '^requested$' -- begin
"$CONCLAVE" init status --state "$S" >"$C/begin.out"	# the key's words
check "the bridge initialises the server and waits for the root token" \
    bridge_init_start "$C" "$addr"
RESUME_BRIDGE_PID=$(cat "$C/bridge.pid")
resume_step "accept" "$S" "$C/x" resume_status '^accepted$' -- \
    "$CONCLAVE" init accept --state "$S"
for k in 1 2 3; do
	mkdir -p "$C/stick$k"
	R_EXTRA=("$C/stick$k")
	resume_step "handout to holder $k" "$S" "$C/x" \
	    resume_status "$k of 3 shares handed out" -- handout "$C" "$k"
done
R_EXTRA=()
RESUME_BRIDGE_PID=
check "holders 1 and 3 unseal the server" \
    bao_unseal i1 "$(gpg_share "$C" 1)" "$(gpg_share "$C" 3)"
check "the bridge revokes the root token" \
    bridge_init_finish "$C" "$(operator_root_token "$C")"
resume_step "close" "$S" "$C/x" resume_status '^closed$' -- \
    "$CONCLAVE" init close --state "$S"
check_output "the transcript verifies: 3 of 3 proven, root token revoked" \
    '3 of 3 shares handed out with a decrypt proof, threshold 2, initial root token revoked' \
    "$CONCLAVE" verify "$S/transcript.jsonl"
check_output "each share handed out once" '^3$' \
    grep -c '"type":"share-handed-out"' "$S/transcript.jsonl"
resume_summary
finish
