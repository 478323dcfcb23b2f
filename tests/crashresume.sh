# Crash and resume, step by step (make check-resume; source after
# tests/lib.sh). The binaries are built with -DCONCLAVE_CRASH_POINTS: with
# CONCLAVE_CRASH_AT=N a process ends at its Nth durable write (exit 86,
# nothing flushed or cleaned up, as kill -9 or a power cut leaves it).
#
# resume_step NAME STATE EXCHANGE DONE-CMD -- STEP-CMD...: for N = 1, 2, ...
# the state folder, the exchange folder (and $R_EXTRA) are put back as they were
# before the step, the step runs with CONCLAVE_CRASH_AT=N and ends there.
# Then, as after a restart: the ceremony is loaded ($R_STATUS, which
# carries out a journal the crash left), DONE-CMD says whether the step
# took effect, and if not the step runs again. Every kill point's outcome
# must be the one of the run without a crash (the first N past the step's
# points): the same transcript records in the same order, the same
# envelopes, the same status. Fewer is "lost", more "duplicated". The
# bridge ($RESUME_BRIDGE_PID) is held still meanwhile, so it sees the
# step's envelope once, after the clean run.
RESUME_EXIT=86
R_POINTS=0 R_RESUMED=0 R_LOST=0 R_DUP=0
RESUME_BRIDGE_PID=
R_STATUS=()
# Other folders a step writes (a holder's stick): put back with the state
# and exchange folders, their files part of the outcome.
R_EXTRA=()

# The test keys' secret parts are protected with GnuPG's largest S2K count
# (65011712 iterations): every share or handout spends seconds in
# gpg-agent unlocking them, and a step here runs twice per kill point. The
# resume tests use the same keys (same fingerprints, same passphrase)
# re-protected with gpg-agent's smallest count; KEYS points at them.
resume_fast_keys() {
	local h=$T_TMP/gpg-fastkeys f
	mkdir -p "$T_TMP/keys" && cp -a "$KEYS/." "$T_TMP/keys/" || return 1
	mkdir -m 700 "$h" && echo "s2k-count 65536" >"$h/gpg-agent.conf"
	for f in "$KEYS"/holder[1-5].sec.asc "$KEYS"/operator.sec.asc; do
		gpg --homedir "$h" --batch --quiet --pinentry-mode loopback \
		    --passphrase-file "$PASSFILE" --import "$f" 2>/dev/null || return 1
		gpg --homedir "$h" --batch --pinentry-mode loopback \
		    --passphrase-file "$PASSFILE" --armor --export-secret-keys \
		    "$(gpg --with-colons --import-options show-only --import "$f" \
		    2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" \
		    >"$T_TMP/keys/${f##*/}" 2>/dev/null || return 1
	done
	gpgconf --homedir "$h" --kill all
	KEYS=$T_TMP/keys
	PASSFILE=$KEYS/passphrase.txt
}

_r_snapshot() {	# DIR...
	rm -rf "$T_TMP/resume-snap"; mkdir -p "$T_TMP/resume-snap"
	local d i=0
	for d in "$@"; do
		[ -e "$d" ] && cp -a "$d" "$T_TMP/resume-snap/$i"
		i=$((i + 1))
	done
}
# Back as before, in place: a folder the bridge holds open stays the same
# folder (only what differs is removed or copied back).
_r_restore() {	# DIR...
	local d i=0 snap p
	for d in "$@"; do
		snap=$T_TMP/resume-snap/$i
		i=$((i + 1))
		if [ ! -e "$snap" ]; then rm -rf "$d"; continue; fi
		mkdir -p "$d"
		(cd "$d" && find . -mindepth 1 -depth -print) | while read -r p; do
			[ -e "$snap/$p" ] || rm -rf "${d:?}/$p"
		done
		cp -a "$snap/." "$d/"
	done
}

# What a step left: the transcript's records in order (their type and
# who or what; resume records aside: they only say a process restarted),
# the envelope files, and the ceremony's status.
_r_outcome() {	# STATE EXCHANGE
	[ -f "$1/transcript.jsonl" ] && jq -r 'select(.type != "resume") |
	    .type + " " + ((.details.holder // .details.what // "") | tostring)' \
	    "$1/transcript.jsonl"
	echo "--"
	find "$2" -name '*.env' -printf '%P\n' | sed -E 's#^[0-9a-f]{32}/##' | sort
	echo "--"
	local d
	for d in "${R_EXTRA[@]}"; do find "$d" -type f -printf "${d##*/}/%P\n"; done | sort
	"${R_STATUS[@]}" 2>&1 | sed 's/ceremony [0-9a-f]*/ceremony/'
}

resume_step() {	# NAME STATE EXCHANGE DONE-CMD... -- STEP-CMD...
	local name=$1 st=$2 x=$3 done_cmd=() step=() n rc want i bad=0 t0=$SECONDS
	local -a outs=()
	shift 3
	while [ "$1" != -- ]; do done_cmd+=("$1"); shift; done; shift
	step=("$@")
	_r_snapshot "$st" "$x" "${R_EXTRA[@]}"
	[ -n "$RESUME_BRIDGE_PID" ] && kill -STOP "$RESUME_BRIDGE_PID"
	for n in $(seq 1 300); do
		_r_restore "$st" "$x" "${R_EXTRA[@]}"
		CONCLAVE_CRASH_AT=$n "${step[@]}" >"$T_TMP/resume.out" 2>&1
		rc=$?
		[ "$rc" = "$RESUME_EXIT" ] || break
		R_POINTS=$((R_POINTS + 1))
		# The restart: load the ceremony, and run the step again if it
		# did not take effect.
		"${R_STATUS[@]}" >/dev/null 2>&1
		"${done_cmd[@]}" >/dev/null 2>&1 || "${step[@]}" >"$T_TMP/resume.again" 2>&1
		outs+=("$(_r_outcome "$st" "$x")")
	done
	want=$(_r_outcome "$st" "$x")
	[ -n "$RESUME_BRIDGE_PID" ] && kill -CONT "$RESUME_BRIDGE_PID"
	if [ "$rc" != 0 ]; then
		fail "$name: the step without a crash fails (exit $rc)"
		sed 's/^/    | /' "$T_TMP/resume.out"
		return 1
	fi
	for i in "${!outs[@]}"; do
		if [ "${outs[$i]}" = "$want" ]; then
			R_RESUMED=$((R_RESUMED + 1))
			continue
		fi
		bad=1
		if [ "$(echo "${outs[$i]}" | wc -l)" -lt "$(echo "$want" | wc -l)" ]; then
			R_LOST=$((R_LOST + 1))
		else
			R_DUP=$((R_DUP + 1))
		fi
		echo "    $name, kill point $((i + 1)): not the clean outcome"
		diff <(echo "$want") <(echo "${outs[$i]}") | sed 's/^/    | /' | head -10
	done
	if [ "$bad" = 0 ]; then
		ok "$name: ${#outs[@]} kill points, each resumed to the clean outcome ($((SECONDS - t0)) s)"
	else
		fail "$name: some kill points did not resume to the clean outcome"
	fi
}

# resume_server NAME [BAO-START-ARGS...]: the test keys (resume_fast_keys),
# an OpenBao NAME initialised 5/3 and unsealed, the holders' sticks; key K
# gives share K, $addr the address. Ends the test if the server fails.
resume_server() {
	local name=$1; shift
	check "the test keys, quick to unlock" resume_fast_keys
	bao_start_shamir "$name" "$@" || { fail "OpenBao $* starts"; finish; }
	check "OpenBao is initialised (5 shares, threshold 3)" bao_init "$name" 5 3
	eval "key() { jq -r \".keys[\$((\$1 - 1))]\" '$(bao_dir "$name")/init.json'; }"
	check "it is unsealed" bao_unseal "$name" "$(key 1)" "$(key 2)" "$(key 3)"
	check "the holders' sticks" quorum_sticks "$name"
	addr=$(bao_addr "$name")
}

# resume_status REGEX: the ceremony's status ($R_STATUS) has a line that
# matches (a DONE-CMD for resume_step).
resume_status() { "${R_STATUS[@]}" 2>/dev/null | grep -Eq -- "$1"; }

# The bridge's side (resume_bridge): the test defines
#   br_up [CRASH-AT]  start the bridge in the background (BPID), with
#                     CONCLAVE_CRASH_AT set when given;
#   br_next           the room's next step on the appliance: 0 one was
#                     done, 1 nothing to do yet, 2 the ceremony is over;
#   br_abandon        the room abandons the ceremony on the appliance;
#   br_server         the server's state, one line per fact;
#   br_clean          the server back as it was before the ceremony;
#   br_ok OUTCOME     whether the appliance's record is right for how the
#                     run ended (finished, resumed, cancelled);
# and snapshots the state and exchange folders (and $R_EXTRA) after begin
# (_r_snapshot).
_br_alive() { kill -0 "$BPID" 2>/dev/null; }

# br_quorum CMD [ACCEPT-ARGS...]: the steps the quorum ceremonies share,
# for a br_next: accept the offer, the shares of alice, bob and carol
# (holders 1-3), submit. The ceremony in $S, holders' dirs under $C; 3
# when the phase is another.
br_quorum() {
	local cmd=$1 st shares names=(alice bob carol); shift
	st=$("$CONCLAVE" "$cmd" status --state "$S" 2>/dev/null)
	shares=$(echo "$st" | sed -n 's/.*, \([0-9]\) of 3 shares sealed.*/\1/p')
	case "$(echo "$st" | head -n 1)" in
	requested)
		ls "$C"/x/*/000002-session-offer.env >/dev/null 2>&1 || return 1
		"$CONCLAVE" "$cmd" accept --state "$S" "$@" \
		    --confirm-sas "$(bridge_sas "$T_TMP")" ;;
	confirmed)
		if [ "${shares:-0}" -lt 3 ]; then
			quorum_share "$cmd" "$C" "${names[$shares]}" "$((shares + 1))"
		else
			"$CONCLAVE" "$cmd" submit --state "$S"
		fi ;;
	*) return 3 ;;
	esac
}

# One run from the request on, the bridge killed at point N and started
# again as an operator would; echoes finished, resumed or cancelled, or
# what went wrong.
_br_run() {	# N STATE EXCHANGE
	local n=$1 rc restarted=0 i
	_r_restore "$2" "$3" "${R_EXTRA[@]}"
	: >"$T_TMP/bridge.out"
	br_up "$n"
	for i in $(seq 1 600); do
		br_next >>"$T_TMP/steps.out" 2>&1
		case $? in 0) continue ;; 2) break ;; esac
		if ! _br_alive; then
			wait "$BPID"; rc=$?
			if [ "$rc" = "$RESUME_EXIT" ] && [ "$restarted" = 0 ]; then
				restarted=1
				br_up
				continue
			fi
			if [ "$restarted" = 1 ] && [ "$rc" = 1 ] &&
			    grep -q "cannot go on" "$T_TMP/bridge.out"; then
				br_abandon >>"$T_TMP/steps.out" 2>&1
				echo cancelled
				return
			fi
			[ "$rc" = 0 ] || { echo "bridge exit $rc"; return; }
		fi
		sleep 0.1
	done
	_br_alive && { kill "$BPID"; echo "stuck"; return; }
	[ "$restarted" = 1 ] && echo resumed || echo finished
}

# resume_bridge STATE EXCHANGE: N = 1, 2, ... until a run reaches no
# point N. A point resumes when the server is back as before (br_clean
# aside, for what the restarted bridge told the administrator to do) and
# the record is right.
resume_bridge() {
	local st=$1 x=$2 n out before after bad=0
	before=$(br_server)
	for n in $(seq 1 100); do
		out=$(_br_run "$n" "$st" "$x")
		after=$(br_server)
		if [ "$out" = finished ]; then
			if ! br_ok finished; then
				fail "the bridge's run without a crash: $(echo $after)"
				bad=1
			fi
			br_clean
			break
		fi
		R_POINTS=$((R_POINTS + 1))
		if br_ok "$out"; then
			R_RESUMED=$((R_RESUMED + 1))
		else
			R_LOST=$((R_LOST + 1)) bad=1
			echo "    bridge kill point $n: $out; server: $(echo $after) (before: $(echo $before))"
			tail -n 4 "$T_TMP/bridge.out" | sed 's/^/    | /'
		fi
		br_clean
	done
	[ "$bad" = 0 ] && ok "the bridge: $R_POINTS kill points, each resumed or cancelled cleanly"
	[ "$bad" = 0 ] || fail "the bridge: some kill points were not resumed or cancelled cleanly"
}

resume_summary() {
	echo "resume: $R_POINTS kill points, $R_RESUMED resumed, $R_LOST lost, $R_DUP duplicated"
}
