#!/usr/bin/env bash
# Resume from anything, the bridge's side of root-token regeneration
# (issue 10, item 1): the bridge is killed at each of its durable writes
# and after each server call that changes something (N = 1, 2, ... until a
# run ends without reaching point N), then started again on the same
# exchange folder (tests/crashresume.sh, resume_bridge). It must either
# carry the ceremony on or cancel its attempt on the server (the appliance
# then abandons); either way nothing is left behind: no attempt in
# progress, no root token alive beyond the ones there were before (a token
# the restarted bridge says only it received is revoked by the
# administrator, as it says), and a transcript that verifies.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

resume_server g1 --legacy-generate-root
root=$(jq -r .root_token "$(bao_dir g1)/init.json")
accessors() {
	curl -s -H "X-Vault-Token: $root" -X LIST "$addr/v1/auth/token/accessors" |
	    jq -r '.data.keys[]' | sort
}
first=$(accessors)
br_server() {
	curl -s "$addr/v1/sys/generate-root/attempt" | jq -r '"attempt \(.started)"'
	echo "tokens $(accessors | wc -l)"
}
br_clean() {
	local a
	curl -s -X DELETE "$addr/v1/sys/generate-root/attempt" >/dev/null
	for a in $(comm -13 <(echo "$first") <(accessors)); do
		curl -s -H "X-Vault-Token: $root" -X POST -d "{\"accessor\":\"$a\"}" \
		    "$addr/v1/auth/token/revoke-accessor" >/dev/null
	done
}

C=$T_TMP/c
S=$C/state
mkdir -p "$C/x"
check "begin" "$CONCLAVE" generate-root begin --state "$S" --exchange "$C/x"
_r_snapshot "$S" "$C/x"
status() { "$CONCLAVE" generate-root status --state "$S" 2>/dev/null; }

br_up() {	# [CRASH-AT]
	rm -f "$C/token.fifo" "$C/new-token"
	mkfifo "$C/token.fifo"
	CONCLAVE_CRASH_AT=${1:-0} "$BRIDGE" generate-root --exchange "$C/x" \
	    --address "$addr" --token-out "$C/new-token" --wait 60 \
	    --root-token-fd 3 3<"$C/token.fifo" >>"$T_TMP/bridge.out" 2>&1 &
	BPID=$!
	[ -n "${TFD:-}" ] && eval "exec $TFD>&-"
	exec {TFD}>"$C/token.fifo"
	GAVE=0
}
br_next() {
	local r
	br_quorum generate-root --witness walt
	r=$?
	[ "$r" = 3 ] || return "$r"
	case "$(status | head -n 1)" in
	submitted)
		ls "$C"/x/*/000004-generate-root-result.env >/dev/null 2>&1 || return 1
		"$CONCLAVE" generate-root result --state "$S" ;;
	issued)
		if [ "$GAVE" = 0 ] && _br_alive; then
			(printf '%s\n' "$(cat "$C/new-token")" >&"$TFD") 2>/dev/null
			eval "exec $TFD>&-"
			GAVE=1 TFD=
			return 0
		fi
		_br_alive && return 1
		"$CONCLAVE" generate-root close --state "$S" ;;
	*) return 2 ;;
	esac
}
br_abandon() {
	"$CONCLAVE" generate-root abandon --state "$S" --reason "the bridge stopped"
	# The administrator does what the restarted bridge says.
	if grep -q "an administrator revokes" "$T_TMP/bridge.out" &&
	    [ "$(accessors)" != "$first" ]; then
		br_clean
		echo x >>"$C/orphans"	# (in the run's subshell)
	fi
}
br_ok() {
	[ "$(br_server)" = "$(echo "attempt false"; echo "tokens $(echo "$first" | wc -l)")" ] ||
	    return 1
	"$CONCLAVE" verify "$S/transcript.jsonl" >"$C/verify.out" 2>&1 &&
	    grep -q '^OK' "$C/verify.out" || return 1
	case $1 in
	finished | resumed) ! grep -q abandoned "$C/verify.out" ;;
	cancelled) grep -q 'abandoned: the bridge stopped' "$C/verify.out" ;;
	*) false ;;
	esac
}

resume_bridge "$S" "$C/x"
echo "# $(cat "$C/orphans" 2>/dev/null | wc -l) of them after the server made the token: the restarted bridge told the administrator to revoke it"
resume_summary
finish
