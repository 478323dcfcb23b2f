#!/usr/bin/env bash
# Resume from anything, root-token regeneration on the appliance's command
# line (issue 10, item 1): against a real OpenBao (legacy generate-root
# endpoint, OTP mode) and the real bridge, every step (begin, accept, three
# shares, submit, result, close) is killed at each of its durable writes in
# turn (tests/crashresume.sh), restarted and finished; every kill point
# must end as the run without a crash did, the new root token must work
# until the bridge revokes it, and the transcript must verify.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

resume_server g1 --legacy-generate-root
lookup() {	# TOKEN: its policies
	curl -s -H "X-Vault-Token: $1" "$addr/v1/auth/token/lookup-self" |
	    jq -r '(.data.policies // []) | join(",")'
}

C=$T_TMP/c
mkdir -p "$C/x"
S=$C/state
R_STATUS=("$CONCLAVE" generate-root status --state "$S")

resume_step "begin" "$S" "$C/x" resume_status '^requested$' -- \
    "$CONCLAVE" generate-root begin --state "$S" --exchange "$C/x"
check "the bridge starts the attempt and offers a session" quorum_bridge_start_token "$C" \
    generate-root --exchange "$C/x" --address "$addr" --token-out "$C/new-token" --wait 900
RESUME_BRIDGE_PID=$(cat "$C/bridge.pid")
resume_step "accept" "$S" "$C/x" resume_status '^confirmed$' -- \
    "$CONCLAVE" generate-root accept --state "$S" --witness walt \
    --confirm-sas "$(bridge_sas "$C")"
names=(alice bob carol)
for k in 1 2 3; do
	resume_step "share of ${names[$k - 1]}" "$S" "$C/x" \
	    resume_status "$k of 3 shares sealed" -- \
	    quorum_share generate-root "$C" "${names[$k - 1]}" "$k"
done
resume_step "submit" "$S" "$C/x" resume_status '^submitted$' -- \
    "$CONCLAVE" generate-root submit --state "$S"
check "the bridge answers" wait_envelope "$C" 4 generate-root-result
resume_step "result" "$S" "$C/x" resume_status '^issued$' -- \
    "$CONCLAVE" generate-root result --state "$S"
tok=$(cat "$C/new-token")
check_output "the new token works and is a root token" '^root$' lookup "$tok"
RESUME_BRIDGE_PID=
quorum_give_token "$C" "$tok"
check "the bridge revokes it and exits 0" bridge_wait "$C"
check_output "the token no longer works" '^$' lookup "$tok"
resume_step "close" "$S" "$C/x" resume_status '^closed$' -- \
    "$CONCLAVE" generate-root close --state "$S"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$S/transcript.jsonl"
check_output "each share sealed once" '^3$' \
    grep -c '"type":"share-sealed"' "$S/transcript.jsonl"
resume_summary
finish
