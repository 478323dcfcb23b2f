#!/usr/bin/env bash
# Residue (issue 13): after each step of each ceremony, the appliance's and
# the bridge's memory and every file they wrote hold no plaintext share, no
# OTP, no root token and no passphrase. Against real OpenBao servers: a
# generate-root ceremony (OTP mode), an init ceremony, an unseal ceremony, a
# rekey with verification, and a dr-token ceremony (with promotion) against
# the local stand-in for a Vault Enterprise DR secondary. Each appliance
# step runs with a preload (tests/preload/residue_stop.c) that stops it as
# it exits (after main and every wipe); tests/tools/memscan then reads all
# its readable memory through /proc/PID/mem, and its vector registers, which
# the preload saves as a signal frame would. The step's gpg-agent is read
# too, after the step's last key operation, just before the appliance ends
# it. Each bridge is read while it waits and as it exits.
# The needles: the shares from the server's init.json and, for init and
# rekey, from the sticks as the holders' gpg reads them (hex text and the
# bytes the appliance decodes); the holders' passphrase; the OTPs, read off
# the wire by a recording relay between the bridge and the server
# (tests/tools/tcp_record.py), since only those two see them; the new root
# token from the bridge's 0600 --token-out file (the one place it may be);
# the DR operation token as the fixture issued it; the init root token as
# the operator decrypts it; the operator token the rekey bridge is given in
# a file (searched once the bridge no longer needs it). Controls: a secret
# planted in the appliance's memory and one in a scanned file are found.
# Not covered: registers of gpg-agent; OpenBao's own memory; a real Vault
# Enterprise DR secondary (none runs here).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
t0=$SECONDS
SCAN=$BUILD/tests/tools/memscan
SHIM=$BUILD/tests/preload/residue_stop.so
NEEDLES=$T_TMP/needles
CLEAN='^scanned [1-9][0-9]* bytes, 0 found$'

if asan_build; then
	skip_all "$CONCLAVE is built with AddressSanitizer (tests/lib.sh: asan_build)"
fi
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

# The GnuPG homes of the appliance's steps (and so their gpg-agents) live
# here, so that an agent is known to be theirs.
GBASE=$T_TMP/gnupg-base
mkdir -p "$GBASE"
AGENTS=0

# scan_agents PID NAME: when a child of step NAME (PID) stops before it
# stops the agent (gpg-connect-agent KILLAGENT), each gpg-agent of the
# step, after all its operations, holds no passphrase and no share; then
# the child goes on.
scan_agents() {
	local c a
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" = T ] || continue
		for a in /proc/[0-9]*; do
			[ "$(cat "$a/comm" 2>/dev/null)" = gpg-agent ] || continue
			tr '\0' ' ' <"$a/cmdline" 2>/dev/null | grep -qF "$GBASE/" ||
			    continue
			check_output "$2: its gpg-agent before it is ended" "$CLEAN" \
			    "$SCAN" "$NEEDLES" pid "${a#/proc/}"
			# Control, once: the scan reads the agent (its home's path).
			[ "$AGENTS" = 0 ] && check_output "control: the agent's own home is found in it" \
			    'found home at .* in process' "$SCAN" \
			    <(printf 'home str:%s/\n' "$GBASE") pid "${a#/proc/}"
			AGENTS=$((AGENTS + 1))
		done
		kill -CONT "$c"
	done
}

# stopped PID [NAME]: wait until PID is stopped (0) or gone (1); the
# agents of step NAME are scanned meanwhile.
stopped() {
	local i st
	for i in $(seq 1 600); do
		st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
		[ "$st" = T ] && return 0
		[ -z "$st" ] && return 1
		[ -n "${2:-}" ] && scan_agents "$1" "$2"
		sleep 0.1
	done
	return 1
}

# scan_at_exit NAME REGEX CMD...: CMD under the preload; when it stops as
# it exits, its memory is scanned (REGEX: what the scan must say), then it
# goes on and must exit 0 (or $EXPECT_RC, for a step that is refused).
scan_at_exit() {
	local name=$1 re=$2 pid rc want=${EXPECT_RC:-0}; shift 2
	LD_PRELOAD=$SHIM TMPDIR=$GBASE "$@" >"$T_TMP/step.out" 2>&1 &
	pid=$!
	if stopped "$pid" "$name"; then
		check_output "$name: memory at exit" "$re" "$SCAN" "$NEEDLES" pid "$pid"
		kill -CONT "$pid"
	else
		fail "$name: did not stop as it exited"; cat "$T_TMP/step.out"
	fi
	wait "$pid"
	rc=$?
	check "$name: exits $want" test "$rc" -eq "$want"
}

# scan_stopped PID NAME: when PID (a bridge) stops as it exits, its memory
# is scanned (NAME: the check), then it goes on.
scan_stopped() {
	if stopped "$1"; then
		check_output "$2" "$CLEAN" "$SCAN" "$NEEDLES" pid "$1"
		kill -CONT "$1"
	else
		fail "$2: did not stop as it exited"
	fi
}

# scan_handout NAME LABEL K CMD...: a handout step (CMD writes holder K's
# share to a stick and proves it with the holder's key, $KEYS/holderK):
# when it stops as it exits, the share it wrote, as the holder's gpg reads
# it from the stick (the one *.gpg file named by the --stick argument in
# CMD), becomes needle LABEL, and its memory is scanned.
scan_handout() {
	local name=$1 label=$2 k=$3 pid sh stick a prev=; shift 3
	for a in "$@"; do [ "$prev" = --stick ] && stick=$a; prev=$a; done
	LD_PRELOAD=$SHIM TMPDIR=$GBASE "$@" >"$T_TMP/step.out" 2>&1 &
	pid=$!
	if stopped "$pid" "$name"; then
		sh=$(gpg_decrypt_as "holder$k" "$KEYS/holder$k.sec.asc" <"$(ls "$stick"/*.gpg)")
		printf '%s str:%s\n%s-bytes hex:%s\n' "$label" "$sh" "$label" "$sh" \
		    >>"$NEEDLES"
		check_output "$name: memory at exit" "$CLEAN" "$SCAN" "$NEEDLES" pid "$pid"
		kill -CONT "$pid"
	else
		fail "$name: did not stop as it exited"; cat "$T_TMP/step.out"
	fi
	wait "$pid"
	check "$name: exits 0" test $? -eq 0
}

C=$T_TMP/otp
mkdir -p "$C/x"
addr=$(bao_addr g1)
# The bridge talks to g1 through a relay that records the traffic: the OTP
# is in the attempt's request body, which only the bridge and the server see.
python3 "$TOP/tests/tools/tcp_record.py" "${addr##*:}" "$T_TMP/relay.port" \
    "$T_TMP/relay.log" &
on_exit "kill $! 2>/dev/null"
check "the recording relay listens" wait_for test -s "$T_TMP/relay.port"
scan_at_exit "begin" "$CLEAN" "$CONCLAVE" generate-root begin --state "$C/state" \
    --exchange "$C/x"
LD_PRELOAD=$SHIM quorum_bridge_start_token "$C" generate-root --exchange "$C/x" \
    --address "http://127.0.0.1:$(cat "$T_TMP/relay.port")" --token-out "$C/new-token" --wait 120
bpid=$(cat "$C/bridge.pid")
check "the bridge offers a session" test -s "$C/bridge.out"
otp=$(grep -ao '"otp":"[A-Za-z0-9]\{1,\}"' "$T_TMP/relay.log" | head -n 1 | cut -d'"' -f4)
check "the relay saw the OTP the bridge sent" test -n "$otp"
printf 'otp str:%s\n' "$otp" >>"$NEEDLES"
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
# A refused step wipes too: a wrong passphrase, and the holder's own.
printf 'not-the-passphrase-%s\n' "$RANDOM$RANDOM" >"$T_TMP/wrong-pass"
printf 'wrong-passphrase str:%s\n' "$(head -n 1 "$T_TMP/wrong-pass")" >>"$NEEDLES"
EXPECT_RC=1 scan_at_exit "share 1 with a wrong passphrase (refused)" "$CLEAN" "$CONCLAVE" \
    generate-root share --state "$C/state" --holder alice \
    --share-file "$T_TMP/stick1/share.gpg" --secret-key "$KEYS/holder1.sec.asc" \
    --passphrase-fd 3 3<"$T_TMP/wrong-pass"
check_output "... refused for the passphrase" 'CK_ERR_BAD_PASSPHRASE' cat "$T_TMP/step.out"
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
# Waiting, the bridge holds the new token (in secmem) to revoke it should
# the operator never give it back; from then on it must be gone.
check_output "the bridge, waiting for the token back: no share, no OTP" \
    "$CLEAN" "$SCAN" "$NEEDLES" pid "$bpid"
printf 'root-token str:%s\n' "$(cat "$C/new-token")" >"$T_TMP/held"
check_output "... and the token in one place only (its secmem copy)" \
    '^scanned [1-9][0-9]* bytes, 1 found$' "$SCAN" "$T_TMP/held" pid "$bpid"
cat "$T_TMP/held" >>"$NEEDLES"
quorum_give_token "$C" "$(cat "$C/new-token")"
scan_stopped "$bpid" "the bridge as it exits (token revoked): no token, no OTP, no share"
check "the bridge exits 0" bridge_wait "$C"
scan_at_exit "close" "$CLEAN" "$CONCLAVE" generate-root close --state "$C/state"
check_output "every file they wrote (state, exchange, sticks, bridge output): clean" \
    "$CLEAN" "$SCAN" "$NEEDLES" files "$C/state" "$C/x" "$C/bridge.out" \
    "$T_TMP"/stick1 "$T_TMP"/stick2 "$T_TMP"/stick3
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

echo "# generate-root (set-up, OpenBao, sticks included): $((SECONDS - t0)) s"; t0=$SECONDS
# --- init: a fresh server; its shares are known once handed out ---
bao_start_shamir i1 || { fail "OpenBao (init) starts"; finish; }
I=$T_TMP/init
mkdir -p "$I/x"
scan_at_exit "init begin" "$CLEAN" "$CONCLAVE" init begin --state "$I/state" \
    --exchange "$I/x" -t 3 --holder alice="$KEYS/holder1.asc" \
    --holder bob="$KEYS/holder2.asc" --holder carol="$KEYS/holder3.asc" \
    --holder dave="$KEYS/holder4.asc" --holder erin="$KEYS/holder5.asc" \
    --operator olga="$KEYS/operator.asc" --witness walt="$KEYS/witness.asc"
cp "$T_TMP/step.out" "$I/begin.out"	# the ceremony key's words, for the bridge
LD_PRELOAD=$SHIM bridge_init_start "$I" "$(bao_addr i1)"
ipid=$(cat "$I/bridge.pid")
scan_at_exit "init accept" "$CLEAN" "$CONCLAVE" init accept --state "$I/state"
tok=$(operator_root_token "$I")
printf 'init-root-token str:%s\n' "$tok" >>"$NEEDLES"
for k in 1 2 3 4 5; do
	mkdir -p "$I/stick$k"
	scan_handout "init handout $k" "init-share$k" "$k" "$CONCLAVE" init handout \
	    --state "$I/state" --holder "$k" --stick "$I/stick$k" \
	    --secret-key "$KEYS/holder$k.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
done
check_output "the init bridge, waiting for the root token: no share, no token" \
    "$CLEAN" "$SCAN" "$NEEDLES" pid "$ipid"
check "i1 unseals with the handed-out shares" bao_unseal i1 "$(gpg_share "$I" 1)" \
    "$(gpg_share "$I" 2)" "$(gpg_share "$I" 3)"
fd=$(cat "$I/token.fd")
printf '%s\n' "$tok" >&"$fd"
eval "exec $fd>&-"
scan_stopped "$ipid" "the init bridge as it exits (token revoked): no token, no share"
check "the init bridge exits 0" wait "$ipid"
scan_at_exit "init close" "$CLEAN" "$CONCLAVE" init close --state "$I/state"
check_output "every file of the init ceremony (state, exchange, the bridge's output): clean" \
    "$CLEAN" "$SCAN" "$NEEDLES" files "$I/state" "$I/x" "$I/bridge.out"

echo "# init: $((SECONDS - t0)) s"; t0=$SECONDS
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
scan_stopped "$upid" "the bridge as it exits (shares submitted): memory clean"
check "the unseal bridge exits 0" bridge_wait "$U"
scan_at_exit "unseal result" "$CLEAN" "$CONCLAVE" unseal result --state "$U/state"
check_output "g1 is unsealed" '^false$' seal_field g1 .sealed
check_output "every file of the unseal ceremony: clean" "$CLEAN" \
    "$SCAN" "$NEEDLES" files "$U/state" "$U/x" "$U/bridge.out"

echo "# unseal: $((SECONDS - t0)) s"; t0=$SECONDS
# --- rekey with verification: the current shares of alice, bob and erin;
# new shares for carol and dave (2 of 2), known once handed out ---
R=$T_TMP/rekey
mkdir -p "$R/x" "$R/n1" "$R/n2"
jq -r .root_token "$(bao_dir g1)/init.json" >"$T_TMP/g1-root"
scan_at_exit "rekey begin" "$CLEAN" "$CONCLAVE" rekey begin --state "$R/state" \
    --exchange "$R/x" --threshold 2 --holder carol="$KEYS/holder3.asc" \
    --holder dave="$KEYS/holder4.asc"
LD_PRELOAD=$SHIM quorum_bridge_start "$R" rekey --exchange "$R/x" --address "$addr" \
    --token-file "$T_TMP/g1-root" --wait 120
rpid=$(cat "$R/bridge.pid")
scan_at_exit "rekey accept" "$CLEAN" "$CONCLAVE" rekey accept --state "$R/state" \
    --confirm-sas "$(bridge_sas "$R")"
for h in alice:1 bob:2 erin:5; do
	scan_at_exit "rekey share ${h%:*}" "$CLEAN" "$CONCLAVE" rekey share \
	    --state "$R/state" --holder "${h%:*}" --share-file "$T_TMP/stick${h#*:}/share.gpg" \
	    --secret-key "$KEYS/holder${h#*:}.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
done
scan_at_exit "rekey submit" "$CLEAN" "$CONCLAVE" rekey submit --state "$R/state"
check "the rekey bridge answers" wait_envelope "$R" 4 rekey-result
scan_at_exit "rekey result" "$CLEAN" "$CONCLAVE" rekey result --state "$R/state"
for k in 1 2; do
	scan_handout "rekey handout $k" "new-share$k" "$((k + 2))" "$CONCLAVE" rekey \
	    handout --state "$R/state" --holder "$k" --stick "$R/n$k" \
	    --secret-key "$KEYS/holder$((k + 2)).sec.asc" --passphrase-fd 3 3<"$PASSFILE"
done
# The operator's token: the bridge holds it (in secmem) until the
# verification is done, and must not after.
check_output "the rekey bridge, waiting for the verification: no share" \
    "$CLEAN" "$SCAN" "$NEEDLES" pid "$rpid"
printf 'operator-token str:%s\n' "$(cat "$T_TMP/g1-root")" >"$T_TMP/held"
check_output "... and the operator's token in one place only (its secmem copy)" \
    '^scanned [1-9][0-9]* bytes, 1 found$' "$SCAN" "$T_TMP/held" pid "$rpid"
cat "$T_TMP/held" >>"$NEEDLES"
scan_at_exit "rekey verify" "$CLEAN" "$CONCLAVE" rekey verify --state "$R/state"
scan_at_exit "rekey verification share carol" "$CLEAN" "$CONCLAVE" rekey share \
    --state "$R/state" --holder carol --share-file "$(ls "$R"/n1/*.gpg)" \
    --secret-key "$KEYS/holder3.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
scan_at_exit "rekey verification share dave" "$CLEAN" "$CONCLAVE" rekey share \
    --state "$R/state" --holder dave --share-file "$(ls "$R"/n2/*.gpg)" \
    --secret-key "$KEYS/holder4.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
scan_at_exit "rekey verification submit" "$CLEAN" "$CONCLAVE" rekey submit \
    --state "$R/state"
scan_stopped "$rpid" "the rekey bridge as it exits (verified): no share, no operator token"
check "the rekey bridge exits 0" bridge_wait "$R"
scan_at_exit "rekey finish" "$CLEAN" "$CONCLAVE" rekey finish --state "$R/state"
check_output "every file of the rekey ceremony (state, exchange, new sticks, bridge output): clean" \
    "$CLEAN" "$SCAN" "$NEEDLES" files "$R/state" "$R/x" "$R/n1" "$R/n2" "$R/bridge.out"
check_output "the rekey transcript verifies" '^OK' "$CONCLAVE" verify \
    "$R/state/transcript.jsonl"

echo "# rekey: $((SECONDS - t0)) s"; t0=$SECONDS
# --- the DR operation token, against the local stand-in for a Vault
# Enterprise DR secondary (tests/fixtures/vault_dr.py): the same OTP mode,
# then the token to a 0600 file and the promotion with it ---
check "the DR fixture listens" dr_fixture dr 28
check "the holders' sticks for the DR shares" quorum_sticks dr
dkey() { jq -r ".keys[$(($1 - 1))]" "$T_TMP/bao/dr/init.json"; }
for k in 1 2 3 4 5; do
	printf 'dr-share%s str:%s\ndr-share%s-bytes hex:%s\n' "$k" "$(dkey "$k")" "$k" \
	    "$(dkey "$k")"
done >>"$NEEDLES"
python3 "$TOP/tests/tools/tcp_record.py" "$(cat "$T_TMP/dr.port")" \
    "$T_TMP/dr-relay.port" "$T_TMP/dr-relay.log" &
on_exit "kill $! 2>/dev/null"
check "the DR recording relay listens" wait_for test -s "$T_TMP/dr-relay.port"
D=$T_TMP/dr
mkdir -p "$D/x"
scan_at_exit "dr-token begin" "$CLEAN" "$CONCLAVE" dr-token begin --state "$D/state" \
    --exchange "$D/x"
LD_PRELOAD=$SHIM quorum_bridge_start "$D" dr-token --exchange "$D/x" \
    --address "http://127.0.0.1:$(cat "$T_TMP/dr-relay.port")" --token-out "$D/dr-token" \
    --promote --wait 120
dpid=$(cat "$D/bridge.pid")
otp=$(grep -ao '"otp":"[A-Za-z0-9]\{1,\}"' "$T_TMP/dr-relay.log" | head -n 1 | cut -d'"' -f4)
check "the relay saw the DR OTP the bridge sent" test -n "$otp"
printf 'dr-otp str:%s\ndr-token str:%s\n' "$otp" "$(cat "$T_TMP/dr.port.token")" >>"$NEEDLES"
scan_at_exit "dr-token accept" "$CLEAN" "$CONCLAVE" dr-token accept --state "$D/state" \
    --confirm-sas "$(bridge_sas "$D")"
for h in alice:1 carol:3 erin:5; do
	scan_at_exit "dr-token share ${h%:*}" "$CLEAN" "$CONCLAVE" dr-token share \
	    --state "$D/state" --holder "${h%:*}" --share-file "$T_TMP/stick${h#*:}/share.gpg" \
	    --secret-key "$KEYS/holder${h#*:}.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
done
scan_at_exit "dr-token submit" "$CLEAN" "$CONCLAVE" dr-token submit --state "$D/state"
scan_stopped "$dpid" "the DR bridge as it exits (token written, secondary promoted): no token, no OTP, no share"
check "the DR bridge exits 0" bridge_wait "$D"
check_output "the promotion got the token" '"token_matches": true' grep promote "$T_TMP/dr.log"
scan_at_exit "dr-token result" "$CLEAN" "$CONCLAVE" dr-token result --state "$D/state"
check_output "every file of the DR ceremony (state, exchange, sticks, bridge output): clean" \
    "$CLEAN" "$SCAN" "$NEEDLES" files "$D/state" "$D/x" "$D/bridge.out" \
    "$T_TMP"/stick1 "$T_TMP"/stick3 "$T_TMP"/stick5
check "the gpg-agents of the steps were scanned (one per step that used a key)" \
    test "$AGENTS" -ge 23
echo "# dr-token: $((SECONDS - t0)) s; $AGENTS gpg-agents read; all: $SECONDS s"
finish
