#!/usr/bin/env bash
# Resume from anything, the bridge's side of unseal (issue 10, item 1):
# the bridge is killed at each of its durable writes and after each server
# call that changes something, then started again on the same exchange
# folder (tests/crashresume.sh, resume_bridge). It must carry the ceremony
# on or stop it so the appliance can abandon; nothing may be left half
# done on the server (an unseal in progress with some of the shares), and
# the record must say what happened.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

check "the test keys, quick to unlock" resume_fast_keys
bao_start_shamir u1 || { fail "OpenBao starts"; finish; }
check "OpenBao is initialised (5 shares, threshold 3)" bao_init u1 5 3
check "the holders' sticks" quorum_sticks u1
addr=$(bao_addr u1)
root=$(jq -r .root_token "$(bao_dir u1)/init.json")
br_server() { seal_field u1 '"sealed \(.sealed) progress \(.progress)"'; }
br_clean() {
	curl -s -H "X-Vault-Token: $root" -X PUT "$addr/v1/sys/seal" >/dev/null
	curl -s -X PUT -d '{"reset":true}' "$addr/v1/sys/unseal" >/dev/null
}

C=$T_TMP/c
S=$C/state
mkdir -p "$C/x"
check "begin" "$CONCLAVE" unseal begin --state "$S" --exchange "$C/x"
_r_snapshot "$S" "$C/x"
status() { "$CONCLAVE" unseal status --state "$S" 2>/dev/null; }

br_up() {	# [CRASH-AT]
	CONCLAVE_CRASH_AT=${1:-0} "$BRIDGE" unseal --exchange "$C/x" \
	    --address "$addr" --wait 60 >>"$T_TMP/bridge.out" 2>&1 &
	BPID=$!
}
br_next() {
	local r
	br_quorum unseal
	r=$?
	[ "$r" = 3 ] || return "$r"
	case "$(status | head -n 1)" in
	submitted)
		ls "$C"/x/*/000004-submission-result.env >/dev/null 2>&1 || return 1
		"$CONCLAVE" unseal result --state "$S" ;;
	*) return 2 ;;
	esac
}
br_abandon() {
	"$CONCLAVE" unseal abandon --state "$S" --reason "the bridge stopped"
}
br_ok() {
	"$CONCLAVE" verify "$S/transcript.jsonl" >"$C/verify.out" 2>&1 &&
	    grep -q '^OK' "$C/verify.out" || return 1
	case $1 in
	finished | resumed) [ "$(br_server)" = "sealed false progress 0" ] &&
		! grep -q abandoned "$C/verify.out" ;;
	# Sealed with nothing in progress; or unsealed by the stopped
	# bridge's submission, which both the restarted bridge and the
	# record (abandoned after submit) say.
	cancelled) grep -q 'abandoned: the bridge stopped' "$C/verify.out" &&
		case $(br_server) in
		"sealed true progress 0") true ;;
		"sealed false progress 0")
			grep -q 'unsealed (the stopped bridge' "$T_TMP/bridge.out" &&
			jq -e -s 'map(select(.type == "unseal-abandoned")) |
			    .[0].details.after_submit' "$S/transcript.jsonl" >/dev/null ;;
		*) false ;;
		esac ;;
	*) false ;;
	esac
}

resume_bridge "$S" "$C/x"
resume_summary
finish
