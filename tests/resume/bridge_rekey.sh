#!/usr/bin/env bash
# Resume from anything, the bridge's side of rekey with verification
# (issue 10, item 1): the bridge is killed at each of its durable writes
# and after each server call that changes something, then started again
# on the same exchange folder (tests/crashresume.sh, resume_bridge). It
# must carry the ceremony on or cancel the rekey on the server (the
# appliance then abandons): no rekey left in progress, and the shares in
# force must be the ones the record says, the old ones unless the server
# took the verification (then the record says it may have).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

resume_server k1 --legacy-rekey
root=$(jq -r .root_token "$(bao_dir k1)/init.json")
d=$(bao_dir k1)
# The server's storage as it is now, to go back to after a point that
# left the new shares in force.
bao_stop k1 && cp -a "$d/data" "$d/data.snap" && bao_restart k1 &&
    bao_unseal k1 "$(key 1)" "$(key 2)" "$(key 3)" ||
    { fail "the server's storage is copied"; finish; }
# Is a rekey in progress, and which shares are in force (sealed and
# unsealed with the old ones to know).
br_server() {
	{
		curl -s "$addr/v1/sys/rekey/init" | jq -r '"rekey \(.started)"'
		curl -s -H "X-Vault-Token: $root" -X PUT "$addr/v1/sys/seal" >/dev/null
		if bao_unseal k1 "$(key 1)" "$(key 2)" "$(key 3)" 2>/dev/null; then
			echo "old shares"
		else
			echo "new shares"
		fi
	} | tee "$T_TMP/server.now"
}
br_clean() {
	curl -s -X DELETE "$addr/v1/sys/rekey/init" >/dev/null
	grep -q "new shares" "$T_TMP/server.now" 2>/dev/null || return 0
	bao_stop k1 && rm -rf "$d/data" && cp -a "$d/data.snap" "$d/data" &&
	    bao_restart k1 && bao_unseal k1 "$(key 1)" "$(key 2)" "$(key 3)"
}

C=$T_TMP/c
S=$C/state
mkdir -p "$C/x" "$C/n1" "$C/n2"
check "begin" "$CONCLAVE" rekey begin --state "$S" --exchange "$C/x" --threshold 2 \
    --holder carol="$KEYS/holder3.asc" --holder dave="$KEYS/holder4.asc"
R_EXTRA=("$C/n1" "$C/n2")
_r_snapshot "$S" "$C/x" "${R_EXTRA[@]}"
status() { "$CONCLAVE" rekey status --state "$S" 2>/dev/null; }

br_up() {	# [CRASH-AT]
	CONCLAVE_CRASH_AT=${1:-0} "$BRIDGE" rekey --exchange "$C/x" \
	    --address "$addr" --wait 60 >>"$T_TMP/bridge.out" 2>&1 &
	BPID=$!
}
passphrase() { "$@" --passphrase-fd 3 3<"$PASSFILE"; }
br_next() {
	local st k new=(carol dave)
	st=$(status)
	case "$(echo "$st" | head -n 1)" in
	requested) br_quorum rekey ;;
	confirmed)
		if echo "$st" | grep -q 'of 3 shares sealed'; then
			br_quorum rekey
			return
		fi
		# The verification: the new holders' shares.
		k=$(echo "$st" | sed -n 's/.*, \([0-9]\) of 2 shares sealed.*/\1/p')
		if [ "${k:-0}" -lt 2 ]; then
			passphrase "$CONCLAVE" rekey share --state "$S" \
			    --holder "${new[$k]}" --share-file "$(ls "$C/n$((k + 1))"/*.gpg)" \
			    --secret-key "$KEYS/holder$((k + 3)).sec.asc"
		else
			"$CONCLAVE" rekey submit --state "$S"
		fi ;;
	submitted)
		ls "$C"/x/*/000004-rekey-result.env >/dev/null 2>&1 || return 1
		"$CONCLAVE" rekey result --state "$S" ;;
	accepted)
		for k in 1 2; do
			ls "$C/n$k"/*.gpg >/dev/null 2>&1 && continue
			passphrase "$CONCLAVE" rekey handout --state "$S" --holder "$k" \
			    --stick "$C/n$k" --secret-key "$KEYS/holder$((k + 2)).sec.asc"
			return
		done
		"$CONCLAVE" rekey verify --state "$S" ;;
	verify-submitted)
		ls "$C"/x/*/000006-submission-result.env >/dev/null 2>&1 || return 1
		"$CONCLAVE" rekey finish --state "$S" ;;
	*) return 2 ;;
	esac
}
br_abandon() {
	"$CONCLAVE" rekey abandon --state "$S" --reason "the bridge stopped"
}
br_ok() {
	grep -qx "rekey false" "$T_TMP/server.now" || return 1
	"$CONCLAVE" verify "$S/transcript.jsonl" >"$C/verify.out" 2>&1 &&
	    grep -q '^OK' "$C/verify.out" || return 1
	case $1:$(tail -n 1 "$T_TMP/server.now") in
	finished:"new shares" | resumed:"new shares") ! grep -q abandoned "$C/verify.out" ;;
	cancelled:"old shares") grep -q 'abandoned: the bridge stopped' "$C/verify.out" ;;
	# The verification reached the server: the record must say it may have.
	cancelled:"new shares") grep -q 'abandoned: the bridge stopped' "$C/verify.out" &&
		jq -e -s 'map(select(.type == "rekey-abandoned")) |
		    .[0].details.after_submit' "$S/transcript.jsonl" >/dev/null ;;
	*) false ;;
	esac
}

resume_bridge "$S" "$C/x"
resume_summary
finish
