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

resume_summary() {
	echo "resume: $R_POINTS kill points, $R_RESUMED resumed, $R_LOST lost, $R_DUP duplicated"
}
