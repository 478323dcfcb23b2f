#!/usr/bin/env bash
# Resume from anything, rekey with verification on the appliance's command
# line (issue 10, item 1): against a real OpenBao (legacy rekey endpoints)
# and the real bridge, every step (begin, accept, three current shares,
# submit, result, two handouts, verify, two new shares, the verification's
# submit, finish) is killed at each of its durable writes in turn
# (tests/crashresume.sh), restarted and finished; every kill point must end
# as the run without a crash did, and the new shares must unseal the
# restarted server while the old ones do not.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

resume_server k1 --legacy-rekey

C=$T_TMP/c
mkdir -p "$C/x"
S=$C/state
R_STATUS=("$CONCLAVE" rekey status --state "$S")
# The status does not count handouts: the transcript does.
handed() {
	[ -f "$S/transcript.jsonl" ] && jq -e -s --arg h "$1" 'map(select(.type ==
	    "share-handed-out" and .details.holder == $h)) | length == 1' \
	    "$S/transcript.jsonl" >/dev/null
}
handout_new() {	# K (share k to holder k + 2)
	"$CONCLAVE" rekey handout --state "$S" --holder "$1" --stick "$C/n$1" \
	    --secret-key "$KEYS/holder$(($1 + 2)).sec.asc" --passphrase-fd 3 3<"$PASSFILE"
}
new_share() {	# NAME K STICK
	"$CONCLAVE" rekey share --state "$S" --holder "$1" \
	    --share-file "$(ls "$3"/*.gpg)" --secret-key "$KEYS/holder$2.sec.asc" \
	    --passphrase-fd 3 3<"$PASSFILE"
}

resume_step "begin" "$S" "$C/x" resume_status '^requested$' -- \
    "$CONCLAVE" rekey begin --state "$S" --exchange "$C/x" --threshold 2 \
    --holder carol="$KEYS/holder3.asc" --holder dave="$KEYS/holder4.asc"
check "the bridge starts the rekey and offers a session" quorum_bridge_start "$C" \
    rekey --exchange "$C/x" --address "$addr" --wait 900
RESUME_BRIDGE_PID=$(cat "$C/bridge.pid")
resume_step "accept" "$S" "$C/x" resume_status '^confirmed$' -- \
    "$CONCLAVE" rekey accept --state "$S" --confirm-sas "$(bridge_sas "$C")"
k=0
for h in alice:1 bob:2 erin:5; do
	k=$((k + 1))
	resume_step "current share of ${h%:*}" "$S" "$C/x" \
	    resume_status "$k of 3 shares sealed" -- \
	    quorum_share rekey "$C" "${h%:*}" "${h#*:}"
done
resume_step "submit" "$S" "$C/x" resume_status '^submitted$' -- \
    "$CONCLAVE" rekey submit --state "$S"
check "the bridge answers with the new shares" wait_envelope "$C" 4 rekey-result
resume_step "result" "$S" "$C/x" resume_status '^accepted$' -- \
    "$CONCLAVE" rekey result --state "$S"
names=(carol dave)
for k in 1 2; do
	mkdir -p "$C/n$k"
	R_EXTRA=("$C/n$k")
	resume_step "handout of new share $k" "$S" "$C/x" handed "${names[$k - 1]}" -- \
	    handout_new "$k"
done
R_EXTRA=()
resume_step "verify" "$S" "$C/x" resume_status '^confirmed$' -- \
    "$CONCLAVE" rekey verify --state "$S"
k=0
for h in carol:3:n1 dave:4:n2; do
	k=$((k + 1))
	IFS=: read -r name hk stick <<<"$h"
	resume_step "new share of $name" "$S" "$C/x" \
	    resume_status "$k of 2 shares sealed" -- new_share "$name" "$hk" "$C/$stick"
done
resume_step "the verification's submit" "$S" "$C/x" resume_status '^verify-submitted$' -- \
    "$CONCLAVE" rekey submit --state "$S"
check "the bridge answers" wait_envelope "$C" 6 submission-result
RESUME_BRIDGE_PID=
resume_step "finish" "$S" "$C/x" resume_status '^closed$' -- \
    "$CONCLAVE" rekey finish --state "$S"
check "the bridge exits 0" bridge_wait "$C"
newshare() { gpg_decrypt_as "holder$1" "$KEYS/holder$1.sec.asc" <"$(ls "$C/n$2"/*.gpg)"; }
check "k1 restarts" bao_restart k1
old_unseal() { bao_unseal k1 "$(key 1)" "$(key 2)" "$(key 3)" 2>/dev/null; }
check_fails "the old shares no longer unseal it" old_unseal
check "the new shares do" bao_unseal k1 "$(newshare 3 1)" "$(newshare 4 2)"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$S/transcript.jsonl"
check_output "each new share handed out once" '^2$' \
    grep -c '"type":"share-handed-out"' "$S/transcript.jsonl"
resume_summary
finish
