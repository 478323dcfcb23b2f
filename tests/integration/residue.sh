#!/usr/bin/env bash
# Residue (issue 13): after each step of a ceremony, the appliance's and the
# bridge's memory and every file they wrote hold no plaintext share, no
# root token and no passphrase. A generate-root ceremony (OTP mode), an
# init ceremony and an unseal ceremony against real OpenBao servers: each appliance step runs with a preload that stops it as
# it exits (after main and every wipe), and tests/tools/memscan reads all
# its readable memory through /proc/PID/mem, and its vector registers
# (saved by the preload as a signal frame would); the bridge is read while it
# waits for the token to revoke and as it exits. The shares come
# from the server's own init.json, as hex text and as the 33 bytes the
# appliance decodes; the token from the bridge's 0600 --token-out file (the
# one place it may be). Controls: a secret planted in the appliance's
# memory and one in a scanned file are found.
# Not covered: the OTP (only the bridge knows it; the token file is what
# it decodes to) and gpg-agent's own memory.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
SCAN=$BUILD/tests/tools/memscan
SHIM=$BUILD/tests/preload/residue_stop.so
NEEDLES=$T_TMP/needles
CLEAN='^scanned [1-9][0-9]* bytes, 0 found$'

if [ "$(id -u)" != 0 ]; then
	fail "reading another process's memory (/proc/PID/mem of a non-dumpable process) needs root; CI runs as root"
	finish
fi

bao_start_shamir g1 --legacy-generate-root || { fail "OpenBao (legacy generate-root) starts"; finish; }
check "g1 is initialised" bao_init g1 5 3
key() { jq -r ".keys[$(($1 - 1))]" "$(bao_dir g1)/init.json"; }
check "g1 is unsealed" bao_unseal g1 "$(key 1)" "$(key 2)" "$(key 3)"
check "the holders' sticks" quorum_sticks g1
for k in 1 2 3 4 5; do
	printf 'share%s str:%s\nshare%s-bytes hex:%s\n' "$k" "$(key "$k")" "$k" "$(key "$k")"
done >"$NEEDLES"
printf 'passphrase str:%s\n' "$(head -n 1 "$PASSFILE")" >>"$NEEDLES"

# stopped PID: wait until PID is stopped (0) or gone (1).
stopped() {
	local i st
	for i in $(seq 1 600); do
		st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
		[ "$st" = T ] && return 0
		[ -z "$st" ] && return 1
		sleep 0.1
	done
	return 1
}

# scan_at_exit NAME REGEX CMD...: CMD under the preload; when it stops as
# it exits, its memory is scanned (REGEX: what the scan must say), then it
# goes on and must exit 0.
scan_at_exit() {
	local name=$1 re=$2 pid rc; shift 2
	LD_PRELOAD=$SHIM "$@" >"$T_TMP/step.out" 2>&1 &
	pid=$!
	if stopped "$pid"; then
		check_output "$name: memory at exit" "$re" "$SCAN" "$NEEDLES" pid "$pid"
		kill -CONT "$pid"
	else
		fail "$name: did not stop as it exited"; cat "$T_TMP/step.out"
	fi
	wait "$pid"
	rc=$?
	check "$name: exits 0" test "$rc" -eq 0
}

C=$T_TMP/otp
mkdir -p "$C/x"
addr=$(bao_addr g1)
scan_at_exit "begin" "$CLEAN" "$CONCLAVE" generate-root begin --state "$C/state" \
    --exchange "$C/x"
LD_PRELOAD=$SHIM quorum_bridge_start_token "$C" generate-root --exchange "$C/x" \
    --address "$addr" --token-out "$C/new-token" --wait 120
bpid=$(cat "$C/bridge.pid")
check "the bridge offers a session" test -s "$C/bridge.out"
scan_at_exit "accept (SAS confirmed)" "$CLEAN" "$CONCLAVE" generate-root accept \
    --state "$C/state" --witness walt --confirm-sas "$(bridge_sas "$C")"

# Controls: a secret the scan must find, in memory and in a file.
RESIDUE_PLANT=$(key 1) scan_at_exit "control: a share planted in the appliance's memory" \
    'found share1 at .* in process' "$CONCLAVE" generate-root status --state "$C/state"
mkdir -p "$T_TMP/plant"
cp "$C/state/transcript.jsonl" "$T_TMP/plant/"
printf 'x%sx' "$(key 2)" >>"$T_TMP/plant/transcript.jsonl"
check_output "control: a share planted in a written file is found" 'found share2 at .* in' \
    "$SCAN" "$NEEDLES" files "$T_TMP/plant"

holders=(alice bob carol)
for k in 1 2 3; do
	scan_at_exit "share $k (decrypted, sealed, wiped)" "$CLEAN" "$CONCLAVE" \
	    generate-root share --state "$C/state" --holder "${holders[$((k - 1))]}" \
	    --share-file "$T_TMP/stick$k/share.gpg" --secret-key "$KEYS/holder$k.sec.asc" \
	    --passphrase-fd 3 3<"$PASSFILE"
done
scan_at_exit "submit" "$CLEAN" "$CONCLAVE" generate-root submit --state "$C/state"
check "the bridge answers" wait_envelope "$C" 4 generate-root-result
scan_at_exit "result" "$CLEAN" "$CONCLAVE" generate-root result --state "$C/state"
check "the new token is in its 0600 file" test -s "$C/new-token"
printf 'root-token str:%s\n' "$(cat "$C/new-token")" >>"$NEEDLES"
check_output "the bridge, waiting for the token back: no share, no token in memory" \
    "$CLEAN" "$SCAN" "$NEEDLES" pid "$bpid"
quorum_give_token "$C" "$(cat "$C/new-token")"
if stopped "$bpid"; then
	check_output "the bridge as it exits (token revoked): no token, no OTP, no share" \
	    "$CLEAN" "$SCAN" "$NEEDLES" pid "$bpid"
	kill -CONT "$bpid"
else
	fail "the bridge did not stop as it exited"
fi
check "the bridge exits 0" bridge_wait "$C"
scan_at_exit "close" "$CLEAN" "$CONCLAVE" generate-root close --state "$C/state"
check_output "every file they wrote (state, exchange, sticks, bridge output): clean" \
    "$CLEAN" "$SCAN" "$NEEDLES" files "$C/state" "$C/x" "$C/bridge.out" \
    "$T_TMP"/stick1 "$T_TMP"/stick2 "$T_TMP"/stick3
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- init: a fresh server; its shares are known once handed out ---
bao_start_shamir i1 || { fail "OpenBao (init) starts"; finish; }
I=$T_TMP/init
check "init begin" ceremony_begin "$I" 3
LD_PRELOAD=$SHIM bridge_init_start "$I" "$(bao_addr i1)"
ipid=$(cat "$I/bridge.pid")
scan_at_exit "init accept" "$CLEAN" "$CONCLAVE" init accept --state "$I/state"
tok=$(operator_root_token "$I")
printf 'init-root-token str:%s\n' "$tok" >>"$NEEDLES"
for k in 1 2 3 4 5; do
	mkdir -p "$I/stick$k"
	LD_PRELOAD=$SHIM "$CONCLAVE" init handout --state "$I/state" --holder "$k" \
	    --stick "$I/stick$k" --secret-key "$KEYS/holder$k.sec.asc" \
	    --passphrase-fd 3 3<"$PASSFILE" >"$T_TMP/step.out" 2>&1 &
	pid=$!
	if stopped "$pid"; then
		# The share it just wrote and proved, as the holder's gpg reads it.
		sh=$(gpg_share "$I" "$k")
		printf 'init-share%s str:%s\ninit-share%s-bytes hex:%s\n' "$k" "$sh" \
		    "$k" "$sh" >>"$NEEDLES"
		check_output "init handout $k: memory at exit" "$CLEAN" \
		    "$SCAN" "$NEEDLES" pid "$pid"
		kill -CONT "$pid"
	else
		fail "init handout $k: did not stop as it exited"; cat "$T_TMP/step.out"
	fi
	wait "$pid"
	check "init handout $k: exits 0" test $? -eq 0
done
check_output "the init bridge, waiting for the root token: no share, no token" \
    "$CLEAN" "$SCAN" "$NEEDLES" pid "$ipid"
check "i1 unseals with the handed-out shares" bao_unseal i1 "$(gpg_share "$I" 1)" \
    "$(gpg_share "$I" 2)" "$(gpg_share "$I" 3)"
fd=$(cat "$I/token.fd")
printf '%s\n' "$tok" >&"$fd"
eval "exec $fd>&-"
if stopped "$ipid"; then
	check_output "the init bridge as it exits (token revoked): no token, no share" \
	    "$CLEAN" "$SCAN" "$NEEDLES" pid "$ipid"
	kill -CONT "$ipid"
else
	fail "the init bridge did not stop as it exited"
fi
check "the init bridge exits 0" wait "$ipid"
scan_at_exit "init close" "$CLEAN" "$CONCLAVE" init close --state "$I/state"
check_output "every file of the init ceremony (state, exchange, the bridge's output): clean" \
    "$CLEAN" "$SCAN" "$NEEDLES" files "$I/state" "$I/x" "$I/bridge.out"

# --- unseal: the same shares, after a restart seals the server ---
check "g1 restarts sealed" bao_restart g1
U=$T_TMP/unseal
mkdir -p "$U/x"
scan_at_exit "unseal begin" "$CLEAN" "$CONCLAVE" unseal begin --state "$U/state" \
    --exchange "$U/x"
LD_PRELOAD=$SHIM quorum_bridge_start "$U" unseal --exchange "$U/x" --address "$addr" \
    --wait 120
upid=$(cat "$U/bridge.pid")
scan_at_exit "unseal accept" "$CLEAN" "$CONCLAVE" unseal accept --state "$U/state" \
    --witness walt --confirm-sas "$(bridge_sas "$U")"
for k in 1 2 3; do
	scan_at_exit "unseal share $k" "$CLEAN" "$CONCLAVE" unseal share --state "$U/state" \
	    --holder "${holders[$((k - 1))]}" --share-file "$T_TMP/stick$k/share.gpg" \
	    --secret-key "$KEYS/holder$k.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
done
check_output "the bridge, waiting for the shares: nothing in memory" "$CLEAN" \
    "$SCAN" "$NEEDLES" pid "$upid"
scan_at_exit "unseal submit" "$CLEAN" "$CONCLAVE" unseal submit --state "$U/state"
if stopped "$upid"; then
	check_output "the bridge as it exits (shares submitted): memory clean" "$CLEAN" \
	    "$SCAN" "$NEEDLES" pid "$upid"
	kill -CONT "$upid"
else
	fail "the unseal bridge did not stop as it exited"
fi
check "the unseal bridge exits 0" bridge_wait "$U"
scan_at_exit "unseal result" "$CLEAN" "$CONCLAVE" unseal result --state "$U/state"
check_output "g1 is unsealed" '^false$' seal_field g1 .sealed
check_output "every file of the unseal ceremony: clean" "$CLEAN" \
    "$SCAN" "$NEEDLES" files "$U/state" "$U/x" "$U/bridge.out"
finish
