#!/usr/bin/env bash
# Resume from anything, the bridge's side of root-token regeneration
# (issue 10, item 1): the bridge is killed at each of its durable writes
# and after each server call that changes something (N = 1, 2, ... until a
# run ends without reaching point N), then started again on the same
# exchange folder. It must either carry the ceremony on or cancel its
# attempt on the server (the appliance then abandons); either way nothing
# is left behind: no attempt in progress, no root token alive beyond the
# ones that were there before, and a transcript that verifies.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

resume_server g1 --legacy-generate-root
root=$(jq -r .root_token "$(bao_dir g1)/init.json")
# What the server holds: an attempt in progress, and how many tokens live.
server() {
	curl -s "$addr/v1/sys/generate-root/attempt" | jq -r '"attempt \(.started)"'
	curl -s -H "X-Vault-Token: $root" -X LIST "$addr/v1/auth/token/accessors" |
	    jq -r '"tokens \(.data.keys | length)"'
}
before=$(server)
accessors() {
	curl -s -H "X-Vault-Token: $root" -X LIST "$addr/v1/auth/token/accessors" |
	    jq -r '.data.keys[]' | sort
}
first=$(accessors)
# After a point that left something behind: back to the server as it was.
server_clean() {
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

bridge_up() {	# [CRASH-AT]
	rm -f "$C/token.fifo" "$C/new-token"
	mkfifo "$C/token.fifo"
	CONCLAVE_CRASH_AT=${1:-0} "$BRIDGE" generate-root --exchange "$C/x" \
	    --address "$addr" --token-out "$C/new-token" --wait 60 \
	    --root-token-fd 3 3<"$C/token.fifo" >>"$C/bridge.out" 2>&1 &
	BPID=$!
	exec {TFD}>"$C/token.fifo"
	GAVE=0
}
alive() { kill -0 "$BPID" 2>/dev/null; }
# One thing the room would do next, as the status and the exchange folder
# say; 1 when there is nothing to do yet.
next() {
	local st shares
	st=$(status | head -n 1)
	shares=$(status | sed -n 's/.*, \([0-9]\) of 3 shares sealed.*/\1/p')
	case "$st" in
	requested)
		ls "$C"/x/*/000002-session-offer.env >/dev/null 2>&1 || return 1
		"$CONCLAVE" generate-root accept --state "$S" --witness walt \
		    --confirm-sas "$(bridge_sas "$C")" ;;
	confirmed)
		local names=(alice bob carol)
		if [ "${shares:-0}" -lt 3 ]; then
			quorum_share generate-root "$C" "${names[$shares]}" "$((shares + 1))"
		else
			"$CONCLAVE" generate-root submit --state "$S"
		fi ;;
	submitted)
		ls "$C"/x/*/000004-generate-root-result.env >/dev/null 2>&1 || return 1
		"$CONCLAVE" generate-root result --state "$S" ;;
	issued)
		if [ "$GAVE" = 0 ] && alive; then
			(printf '%s\n' "$(cat "$C/new-token")" >&"$TFD") 2>/dev/null
			eval "exec $TFD>&-"
			GAVE=1
			return 0
		fi
		alive && return 1
		"$CONCLAVE" generate-root close --state "$S" ;;
	*) return 2 ;;
	esac
}

# run N: the ceremony from the request on, the bridge killed at its Nth
# point and started again; prints crashed/finished and how it ended.
run() {
	local n=$1 rc restarted=0 i
	_r_restore "$S" "$C/x"
	: >"$C/bridge.out"
	bridge_up "$n"
	for i in $(seq 1 600); do
		next >>"$C/steps.out" 2>&1
		case $? in 0) continue ;; 2) break ;; esac
		if ! alive; then
			wait "$BPID"; rc=$?
			if [ "$rc" = "$RESUME_EXIT" ] && [ "$restarted" = 0 ]; then
				restarted=1
				eval "exec $TFD>&-"
				bridge_up
				continue
			fi
			if [ "$restarted" = 1 ] && [ "$rc" = 1 ] &&
			    grep -q "cannot go on" "$C/bridge.out"; then
				"$CONCLAVE" generate-root abandon --state "$S" \
				    --reason "the bridge stopped" >>"$C/steps.out" 2>&1
				# The administrator does what the bridge says.
				if grep -q "an administrator revokes" "$C/bridge.out" &&
				    [ "$(accessors)" != "$first" ]; then
					server_clean
					echo "cancelled, orphan token revoked"
				else
					echo "cancelled"
				fi
				return
			fi
			[ "$rc" = 0 ] || { echo "bridge exit $rc"; return; }
		fi
		sleep 0.1
	done
	alive && { kill "$BPID"; echo "stuck: $(status | head -n 1)"; return; }
	[ "$restarted" = 1 ] && echo "resumed" || echo "finished"
}

ORPHANS=0
for n in $(seq 1 100); do
	out=$(run "$n")
	after=$(server)
	ended=$(status | head -n 1)
	if [ "$out" = finished ]; then
		[ "$ended $after" = "closed $before" ] ||
		    fail "the run without a crash: $ended, $after (before: $before)"
		break
	fi
	R_POINTS=$((R_POINTS + 1))
	if [ "$after" = "$before" ] && case "$out" in
	    resumed) "$CONCLAVE" verify "$S/transcript.jsonl" >"$C/verify.out" 2>&1 &&
		grep -q '^OK' "$C/verify.out" && ! grep -q abandoned "$C/verify.out" ;;
	    cancelled*) "$CONCLAVE" verify "$S/transcript.jsonl" 2>&1 |
		grep -q 'abandoned: the bridge stopped' ;;
	    *) false ;; esac; then
		R_RESUMED=$((R_RESUMED + 1))
		[ "$out" = "cancelled, orphan token revoked" ] && ORPHANS=$((ORPHANS + 1))
	else
		R_LOST=$((R_LOST + 1))
		fail "bridge kill point $n: $out, appliance $ended, server: $(echo $after) (before: $(echo $before))"
		tail -n 5 "$C/bridge.out" | sed 's/^/    | /'
		server_clean
	fi
done
[ "$R_LOST" = 0 ] && ok "bridge: $R_POINTS kill points, each resumed or cancelled cleanly"
echo "# $ORPHANS of them after the server made the token: the restarted bridge told the administrator to revoke it"
resume_summary
finish
