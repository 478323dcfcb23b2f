#!/usr/bin/env bash
# Resume from anything, the bridge's side of init (issue 10, item 1): the
# bridge is killed at each of its durable writes and after each server
# call that changes something (CONCLAVE_CRASH_AT=N, N = 1, 2, ... until a
# run reaches no point N), and once more with kill -9 while it waits for
# the root token (no write there); then started again on the same
# exchange folder, as an operator would. Each run starts from a server
# never initialised and the appliance's state just after begin. What each
# kill point must come to, and is counted as:
#   resumed     the stopped bridge had written its closing result in full
#               but not renamed it into place: the restarted bridge puts it
#               in place (still signed by the pinned key) and the ceremony
#               closes as without a crash;
#   re-pinned   the init result was written (or written in full and put in
#               place by the restarted bridge): the restarted bridge offers a
#               new session key, the room compares its words on the
#               appliance (conclave init repin), the bridge revokes the
#               root token and the ceremony closes, one deviation on record;
#   failed      the stopped bridge revoked the root token but its proof died
#               with it: the restarted bridge cannot prove which token it
#               was and says so; the appliance records the token as not
#               proven revoked and closes the ceremony as failed; the token
#               is revoked on the server;
#   lost        after sys/init answered and before its result was written:
#               the server gives the shares once, so they are lost for good.
#               The restarted bridge says exactly that; the appliance
#               abandons, the server's storage is wiped and the ceremony is
#               begun again and finished. Counted as lost, on its own line.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

check "the test keys, quick to unlock" resume_fast_keys
bao_start_shamir i1 || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr i1)
# The server as it was before the ceremony: its storage wiped.
wipe() {
	bao_stop i1
	rm -rf "$(bao_dir i1)/data" && mkdir -p "$(bao_dir i1)/data"
	_bao_launch i1 && _bao_wait i1
}

C=$T_TMP/c
S=$C/state
mkdir -p "$C/x"
begin() {
	rm -rf "$S" "$C"/x/* "$C"/stick*
	"$CONCLAVE" init begin --state "$S" --exchange "$C/x" -t 2 \
	    --holder alice="$KEYS/holder1.asc" --holder bob="$KEYS/holder2.asc" \
	    --operator olga="$KEYS/operator.asc" >"$C/begin.out" 2>&1
}
check "begin: two holders, threshold 2" begin
_r_snapshot "$S" "$C/x"
status() { "$CONCLAVE" init status --state "$S" 2>/dev/null; }

br_up() {	# [CRASH-AT]
	rm -f "$C/token.fifo"
	mkfifo "$C/token.fifo"
	status >"$C/begin.out"	# the ceremony key's words, as the room reads them
	CONCLAVE_CRASH_AT=${1:-0} "$BRIDGE" init --exchange "$C/x" \
	    --address "$addr" --key-words "$(key_words "$C")" \
	    --root-token-fd 3 3<"$C/token.fifo" >>"$T_TMP/bridge.out" 2>&1 &
	BPID=$!
	[ -n "${TFD:-}" ] && eval "exec $TFD>&-"
	exec {TFD}>"$C/token.fifo"
	GAVE=0
}
alive() { kill -0 "$BPID" 2>/dev/null; }
# The root token as the first bridge printed it, decrypted by the operator.
token() {
	base64_after "encrypted to the operator's key" "$T_TMP/bridge.out" |
	    base64 -d |
	    gpg_decrypt_as operator "$KEYS/operator.sec.asc"
}
repin_words() {
	grep -A1 "The new key's words:" "$T_TMP/bridge.out" | tail -n 1 |
	    sed 's/^ *//'
}
# The room's next step on the appliance: 0 one was done, 1 nothing to do
# yet, 2 the ceremony is over.
next() {
	local st shares
	st=$(status)
	shares=$(echo "$st" | sed -n 's/.*, \([0-9]\) of 2 shares handed out.*/\1/p')
	case "$(echo "$st" | head -n 1)" in
	requested)
		ls "$C"/x/*/000002-init-result.env >/dev/null 2>&1 || return 1
		"$CONCLAVE" init accept --state "$S" ;;
	accepted)
		if [ "${shares:-0}" -lt 2 ]; then
			handout "$C" "$((shares + 1))"
		elif [ "$(seal_field i1 .sealed)" = true ]; then
			# The holders unseal the fresh server with their shares.
			bao_unseal i1 "$(gpg_share "$C" 1)" "$(gpg_share "$C" 2)"
		elif echo "$st" | grep -q 'bridge restarted with a new key'; then
			"$CONCLAVE" init repin --state "$S" --witness walt \
			    --confirm-sas "$(repin_words)"
		elif [ "$GAVE" = 0 ] && alive; then
			(printf '%s\n' "$(token)" >&"$TFD") 2>/dev/null
			eval "exec $TFD>&-"
			GAVE=1 TFD=
		elif ls "$C"/x/*/*-closing-result.env >/dev/null 2>&1; then
			"$CONCLAVE" init close --state "$S" || return 3
		else
			return 1
		fi ;;
	*) return 2 ;;
	esac
}

# run N: one run from after begin (N 0: from the begin just made, no crash), the bridge killed at point N (WAIT:
# with kill -9 while it waits for the token) and started again; echoes
# finished, resumed, re-pinned, failed, lost or what went wrong.
run() {
	local n=$1 rc restarted=0 i r
	[ "$n" = 0 ] || _r_restore "$S" "$C/x"
	rm -rf "$C"/stick*
	: >"$T_TMP/bridge.out"
	if [ "$n" = WAIT ]; then br_up; else br_up "$n"; fi
	for i in $(seq 1 600); do
		if [ "$n" = WAIT ] && [ "$restarted" = 0 ] && alive &&
		    grep -q 'give the initial root token' "$T_TMP/bridge.out"; then
			kill -9 "$BPID"
		fi
		next >>"$T_TMP/steps.out" 2>&1
		r=$?
		case $r in 0) continue ;; 2) break ;; 3)
			# The closing result says the token is not proven
			# revoked: the ceremony is closed as failed.
			echo failed; return ;;
		esac
		if ! alive; then
			wait "$BPID"; rc=$?
			if [ "$restarted" = 0 ] && { [ "$rc" = "$RESUME_EXIT" ] ||
			    [ "$rc" = 137 ]; }; then
				restarted=1
				br_up
				continue
			fi
			if [ "$restarted" = 1 ] && [ "$rc" = 1 ] &&
			    grep -q CK_ERR_ALREADY_INIT "$T_TMP/bridge.out"; then
				"$CONCLAVE" init abandon --state "$S" --reason \
				    "the bridge stopped after sys/init: shares lost" \
				    >>"$T_TMP/steps.out" 2>&1
				echo lost; return
			fi
			[ "$rc" = 0 ] || [ "$rc" = 1 ] || { echo "bridge exit $rc"; return; }
		fi
		sleep 0.1
	done
	alive && { kill "$BPID"; echo stuck; return; }
	if [ "$restarted" = 0 ]; then echo finished
	elif grep -q "The new key's words:" "$T_TMP/bridge.out"; then
		echo re-pinned
	else echo resumed
	fi
}

verify() { "$CONCLAVE" verify "$S/transcript.jsonl" >"$C/verify.out" 2>&1 &&
    grep -q '^OK' "$C/verify.out"; }
initialised() { [ "$(seal_field i1 .initialized)" = "$1" ]; }
# A lookup with the token the server made is refused: it is revoked.
revoked() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $(token)" \
	    "$addr/v1/auth/token/lookup-self")" = 403 ]
}
deviations() { jq -s '[.[] | select(.type == "deviation")] | length' \
    "$S/transcript.jsonl"; }

# Is the record right for how the run ended?
right() {
	verify || return 1
	case $1 in
	finished) ! grep -q abandoned "$C/verify.out" && revoked &&
		[ "$(deviations)" = 0 ] ;;
	resumed) ! grep -q abandoned "$C/verify.out" && revoked &&
		[ "$(deviations)" = 0 ] &&
		grep -q 'it is in place now' "$T_TMP/bridge.out" ;;
	re-pinned) ! grep -q abandoned "$C/verify.out" && revoked &&
		[ "$(deviations)" = 1 ] &&
		grep -q 'bridge restarted, key re-pinned' "$S/transcript.jsonl" &&
		grep -q '1 deviation' "$C/verify.out" ;;
	failed) grep -q 'failed: the root token is NOT revoked' "$C/verify.out" &&
		revoked && grep -q 'already revoked' "$T_TMP/bridge.out" &&
		jq -e -s 'map(select(.type == "root-token-not-revoked")) |
		    length == 1' "$S/transcript.jsonl" >/dev/null ;;
	lost) grep -q 'abandoned: the bridge stopped after sys/init' \
		"$C/verify.out" && initialised true &&
		grep -q 'shares and root token were lost' "$T_TMP/bridge.out" &&
		# The appliance had no answer: it cannot say the server is not
		# initialised, and does not.
		jq -e -s 'map(select(.type == "init-abandoned"))[0].details |
		    .server_initialised | startswith("unknown")' \
		    "$S/transcript.jsonl" >/dev/null ;;
	*) false ;;
	esac
}

show() {
	tail -n 6 "$T_TMP/bridge.out" | sed 's/^/    bridge | /'
	tail -n 6 "$T_TMP/steps.out" | sed 's/^/    appliance | /'
	sed 's/^/    verify | /' "$C/verify.out" 2>/dev/null | head -n 8
}

declare -A count=()
bad=0
# A kill point's outcome (N or WAIT, and how its run ended) counted.
point() {
	local n=$1 out=$2
	R_POINTS=$((R_POINTS + 1))
	count[$out]=$(( ${count[$out]:-0} + 1 ))
	if ! right "$out"; then
		bad=1
		echo "    kill point $n: $out, and the record or the server is not right"
		show
	elif [ "$out" = lost ]; then
		R_LOST=$((R_LOST + 1))
		# The server wiped and the ceremony begun again, to the end.
		wipe
		if ! { begin && [ "$(run 0)" = finished ] && right finished; }; then
			bad=1
			echo "    kill point $n: begun again, it did not finish"
			show
		fi
	else
		R_RESUMED=$((R_RESUMED + 1))
	fi
	wipe
}
for n in $(seq 1 40); do
	# Each run from the first begin's state; a run that reaches no point
	# N is the run without a crash, and ends the list.
	out=$(run "$n")
	if [ "$out" = finished ]; then
		right finished || { bad=1; fail "the run without a crash: $out"; show; }
		wipe
		break
	fi
	point "$n" "$out"
done
point WAIT "$(run WAIT)"
check "the bridge's init: every kill point resumed, re-pinned, failed or lost as it must be" \
    [ "$bad" = 0 ]
check "  the wait for the token, killed, is re-pinned and closed" \
    [ "${count[re-pinned]:-0}" -ge 1 ]
# What the stopped bridge wrote in full is put in place, not lost: only
# the point right after sys/init's answer is (a result or closing result
# left as a temp file would count here too).
check "  only the point between sys/init's answer and its write is lost" \
    [ "${count[lost]:-0}" -le 1 ]
check "  a closing result written in full is put in place and closes" \
    [ "${count[resumed]:-0}" -ge 1 ]
echo "# bridge init: $R_POINTS kill points: ${count[resumed]:-0} resumed, ${count[re-pinned]:-0} re-pinned and closed, ${count[failed]:-0} closed as failed (the token revoked by the stopped bridge, its proof lost with it), ${count[lost]:-0} lost"
echo "resume (bridge init): ${count[lost]:-0} kill points lost for good between sys/init's answer and its result on the stick (the server gives the shares once): each time the server was wiped and the ceremony begun again"
resume_summary
finish
