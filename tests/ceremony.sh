# Helpers for ceremony integration tests: the test key set, the appliance
# steps, the bridge in the background with the root token handed over on a
# FIFO, and stock gpg playing the holders and the operator. Source after
# tests/lib.sh and tests/openbao.sh.
KEYS=$TOP/tests/vectors/keys
PASSFILE=$KEYS/passphrase.txt

# ceremony_begin DIR T [EXTRA...]: holders 1..5, operator, witness.
ceremony_begin() {
	local dir=$1 t=$2; shift 2
	mkdir -p "$dir/x"
	"$CONCLAVE" init begin --state "$dir/state" --exchange "$dir/x" -t "$t" \
	    --holder alice="$KEYS/holder1.asc" --holder bob="$KEYS/holder2.asc" \
	    --holder carol="$KEYS/holder3.asc" --holder dave="$KEYS/holder4.asc" \
	    --holder erin="$KEYS/holder5.asc" --operator olga="$KEYS/operator.asc" \
	    --witness walt="$KEYS/witness.asc" "$@" >"$dir/begin.out" 2>&1
}

# wait_for CMD...: up to 60 s.
wait_for() {
	local i
	for i in $(seq 1 300); do "$@" && return 0; sleep 0.2; done
	return 1
}

# key_words DIR: the ceremony key's words as conclave's begin printed them
# (DIR/begin.out: the indented lines under "Ceremony key", one line wrapped
# within 80 columns), which the room compares with the bridge's.
key_words() {
	awk '/^Ceremony key/ { on = 1; next } on && /^  / { sub(/^ +/, "");
	    w = w (w == "" ? "" : " ") $0; next } on { exit } END { print w }' \
	    "$1/begin.out"
}

# bridge_init_start DIR ADDR [WORDS [ARGS...]]: runs until it has written
# the init result; the ceremony key's words the room confirms are WORDS
# (when empty or absent, those DIR/begin.out shows); ARGS are more of the
# bridge's options (the QR crossing's).
bridge_init_start() {
	local dir=$1 addr=$2 words=${3:-$(key_words "$1")}
	shift 2; shift $(($# > 0))
	mkfifo "$dir/token.fifo"
	"$BRIDGE" init --exchange "$dir/x" --address "$addr" --root-token-fd 3 \
	    --key-words "$words" "$@" 3<"$dir/token.fifo" >"$dir/bridge.out" 2>&1 &
	echo $! >"$dir/bridge.pid"
	on_exit "kill $(cat "$dir/bridge.pid") 2>/dev/null"
	# Opening the FIFO for writing lets the bridge's redirection proceed.
	exec {TOKEN_FD}>"$dir/token.fifo"
	echo "$TOKEN_FD" >"$dir/token.fd"
	wait_for sh -c "ls '$dir'/x/*/000002-init-result.env >/dev/null 2>&1"
}

# bridge_init_finish DIR TOKEN: hand the token over, wait for the bridge.
bridge_init_finish() {
	local dir=$1 fd
	fd=$(cat "$dir/token.fd")
	printf '%s\n' "$2" >&"$fd"
	eval "exec $fd>&-"
	wait "$(cat "$dir/bridge.pid")"
}

# bridge_init_restart DIR ADDR OUT [ARGS...]: the bridge started again on
# DIR/x (with ARGS) after the one bridge_init_start began was killed (BPID2
# its pid, output in OUT, the root token on the FIFO DIR/token.fifo, its fd
# TOKEN_FD); waits until it shows the new key's words, into REPIN_WORDS.
# Not in a subshell: the FIFO's writer must stay open.
bridge_init_restart() {
	local dir=$1 addr=$2 out=$3
	shift 3
	REPIN_WORDS=
	rm -f "$dir/token.fifo"
	mkfifo "$dir/token.fifo"
	"$BRIDGE" init --exchange "$dir/x" --address "$addr" --root-token-fd 3 \
	    "$@" 3<"$dir/token.fifo" >"$out" 2>&1 &
	BPID2=$!
	on_exit "kill $BPID2 2>/dev/null"
	exec {TOKEN_FD}>"$dir/token.fifo"
	wait_for grep -q "The new key's words:" "$out" || return 1
	REPIN_WORDS=$(grep -A1 "The new key's words:" "$out" | tail -n 1 |
	    sed 's/^ *//')
}

# A private gpg home with a secret key imported (the holder's own machine).
gpg_home_with() {	# NAME KEYFILE
	local h=$T_TMP/gpg-$1
	if [ ! -d "$h" ]; then
		mkdir -m 700 "$h"
		gpg --homedir "$h" --batch --quiet --pinentry-mode loopback \
		    --passphrase-file "$PASSFILE" --import "$2" 2>/dev/null
	fi
	echo "$h"
}

gpg_decrypt_as() {	# NAME KEYFILE < ciphertext
	gpg --homedir "$(gpg_home_with "$1" "$2")" --batch --quiet \
	    --pinentry-mode loopback --passphrase-file "$PASSFILE" --decrypt 2>/dev/null
}

# operator_root_token DIR: the root token the bridge printed, decrypted.
operator_root_token() {
	base64_after "encrypted to the operator's key" "$1/bridge.out" |
	    base64 -d | gpg_decrypt_as operator "$KEYS/operator.sec.asc"
}

# handout DIR K: holder K's stick is DIR/stickK; passphrase on fd 3.
handout() {
	mkdir -p "$1/stick$2"
	"$CONCLAVE" init handout --state "$1/state" --holder "$2" \
	    --stick "$1/stick$2" --secret-key "$KEYS/holder$2.sec.asc" \
	    --passphrase-fd 3 3<"$PASSFILE"
}

# gpg_share DIR K: stock gpg on holder K's share file, as the holder would.
gpg_share() {
	gpg_decrypt_as "holder$2" "$KEYS/holder$2.sec.asc" <"$1"/stick"$2"/*.gpg
}

# seal_field NAME JQ: one field of NAME's seal status.
seal_field() { bao_seal_status "$1" | jq -r "$2"; }

# configure_server ADDR TOKEN: a policy and a userpass user allowed to seal.
configure_server() {
	local a=$1 t=$2
	curl -sf -H "X-Vault-Token: $t" -X POST -d '{"type":"userpass"}' \
	    "$a/v1/sys/auth/userpass" &&
	curl -sf -H "X-Vault-Token: $t" -X PUT \
	    -d '{"policy":"path \"sys/seal\" { capabilities = [\"update\", \"sudo\"] }"}' \
	    "$a/v1/sys/policies/acl/sealer" &&
	curl -sf -H "X-Vault-Token: $t" -X POST \
	    -d '{"password":"sealer-pass","token_policies":"sealer"}' \
	    "$a/v1/auth/userpass/users/sealer"
}

seal_with_sealer() {
	local tok
	tok=$(curl -sf -X POST -d '{"password":"sealer-pass"}' \
	    "$1/v1/auth/userpass/login/sealer" | jq -r .auth.client_token)
	curl -sf -H "X-Vault-Token: $tok" -X PUT "$1/v1/sys/seal"
}

# no_share_text DIR: no decrypted share appears in any file the ceremony wrote.
no_share_text() {
	local k s
	for k in 1 2 3 4 5; do
		s=$(gpg_share "$1" "$k")
		[ -n "$s" ] || return 1
		if grep -rqF "$s" "$1/state" "$1/x"; then
			echo "share $k found in ceremony files"; return 1
		fi
	done
}

# --- quorum ceremonies (unseal, ...) ---

# encrypt_share K HEX: HEX encrypted to holder K's key as binary OpenPGP, the
# form init's handout writes to a holder's stick, on stdout.
encrypt_share() {
	printf '%s' "$2" | gpg --homedir "$(gpg_home_with "pub$1" "$KEYS/holder$1.asc")" \
	    --batch --quiet --trust-model always --recipient-file "$KEYS/holder$1.asc" \
	    --encrypt 2>/dev/null
}

# roster_keys DIR [N]: DIR/keys holds the public keys of the first N
# (default 3) of the holders alice, bob and carol (holder-NAME.asc), of
# the operator olga and of the witness walt, named as the init screens
# expect.
roster_keys() {
	local k names=(alice bob carol)
	mkdir -p "$1/keys"
	for k in $(seq "${2:-3}"); do
		cp "$KEYS/holder$k.asc" "$1/keys/holder-${names[$k - 1]}.asc"
	done
	cp "$KEYS/operator.asc" "$1/keys/operator-olga.asc"
	cp "$KEYS/witness.asc" "$1/keys/witness-walt.asc"
}

# init_folders DIR: what a guided init uses: DIR/keys with the roster's
# public keys (roster_keys), DIR/sticks/NAME with each holder's and walt's
# secret key file, DIR/x.
init_folders() {
	local k names=(alice bob carol)
	roster_keys "$1"
	mkdir -p "$1/x" "$1/sticks/walt"
	for k in 1 2 3; do
		mkdir -p "$1/sticks/${names[$k - 1]}"
		cp "$KEYS/holder$k.sec.asc" "$1/sticks/${names[$k - 1]}/"
	done
	cp "$KEYS/witness.sec.asc" "$1/sticks/walt/"
}

# transcript_once T: T verifies, and its sequence numbers are 0..N-1, each
# once (a resumed step recorded twice would repeat or skip one).
transcript_once() {
	check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$1"
	check "no record twice: sequence numbers 0..N-1 each once" test \
	    "$(jq -r .seq "$1" | tr '\n' ' ')" = "$(seq -s ' ' 0 $(($(wc -l <"$1") - 1))) "
}

# holder_sticks DIR SERVER [N]: the sticks of the first N (default 3) of
# alice, bob and carol as folders DIR/NAME, each with their share of
# SERVER (bao_init's) encrypted to their key (the form init's handout
# writes) and their secret key file.
holder_sticks() {
	local k n names=(alice bob carol)
	for k in $(seq "${3:-3}"); do
		n=${names[$k - 1]}
		mkdir -p "$1/$n"
		encrypt_share "$k" "$(bao_share "$2" "$k")" >"$1/$n/share.gpg"
		cp "$KEYS/holder$k.sec.asc" "$1/$n/"
	done
}

# film ENV CAM [QR-OPTIONS]: ENV drawn as codes (conclave qr-encode) and
# put where a recorded camera (--camera-frames CAM) sees them, each frame
# appearing whole (a rename), named after ENV.
film() {
	local env=$1 cam=$2 tag f; shift 2
	tag=$(basename "$env" .env)
	rm -rf "$T_TMP/draw" && mkdir -p "$cam" &&
	    "$CONCLAVE" qr-encode "$env" --png-dir "$T_TMP/draw" "$@" >/dev/null ||
	    return 1
	for f in "$T_TMP"/draw/qr-*.png; do
		cp "$f" "$cam/.$tag" && mv "$cam/.$tag" "$cam/$tag-$(basename "$f")" ||
		    return 1
	done
}

# bridge_bg DIR ARGS...: conclave-bridge ARGS in the background, its
# output in DIR/bridge.out, its pid in DIR/bridge.pid (killed at the end).
bridge_bg() {
	local dir=$1; shift
	"$BRIDGE" "$@" >"$dir/bridge.out" 2>&1 &
	echo $! >"$dir/bridge.pid"
	on_exit "kill $(cat "$dir/bridge.pid") 2>/dev/null"
}

# quorum_bridge_start DIR ARGS...: bridge_bg, waiting until its session
# offer is written.
quorum_bridge_start() {
	bridge_bg "$@" &&
	    wait_for sh -c "ls '$1'/x/*/000002-session-offer.env >/dev/null 2>&1"
}

# quorum_bridge_start_token DIR ARGS...: the same, with the bridge reading the
# token to revoke from a FIFO (fd 3); quorum_give_token DIR TOKEN hands it.
quorum_bridge_start_token() {
	local dir=$1; shift
	mkfifo "$dir/token.fifo"
	"$BRIDGE" "$@" --root-token-fd 3 3<"$dir/token.fifo" >"$dir/bridge.out" 2>&1 &
	echo $! >"$dir/bridge.pid"
	on_exit "kill $(cat "$dir/bridge.pid") 2>/dev/null"
	exec {TOKEN_FD}>"$dir/token.fifo"
	echo "$TOKEN_FD" >"$dir/token.fd"
	wait_for sh -c "ls '$dir'/x/*/000002-session-offer.env >/dev/null 2>&1"
}
quorum_give_token() {
	local fd
	fd=$(cat "$1/token.fd")
	printf '%s\n' "$2" >&"$fd"
	eval "exec $fd>&-"
}

# quorum_share CMD DIR NAME K [FILE]: holder K (as NAME) decrypts the share
# on their stick ($T_TMP/stickK/share.gpg unless FILE) for ceremony CMD.
quorum_share() {
	"$CONCLAVE" "$1" share --state "$2/state" --holder "$3" \
	    --share-file "${5:-$T_TMP/stick$4/share.gpg}" \
	    --secret-key "$KEYS/holder$4.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
}

# dr_fixture NAME OTP_LENGTH: the local stand-in for a Vault Enterprise DR
# secondary (tests/fixtures/vault_dr.py, threshold 3) on $T_TMP/NAME.port,
# its log in $T_TMP/NAME.log, the decoded token it issues in
# $T_TMP/NAME.port.token. The primary's shares (five random 33-byte shares,
# x-tags 1..5) are made once, in $T_TMP/bao/dr/init.json.
dr_fixture() {
	local k
	if [ ! -f "$T_TMP/bao/dr/init.json" ]; then
		mkdir -p "$T_TMP/bao/dr"
		{
			printf '{"keys":['
			for k in 1 2 3 4 5; do
				[ "$k" = 1 ] || printf ','
				printf '"%s%02x"' "$(head -c 32 /dev/urandom | xxd -p -c 64)" "$k"
			done
			printf ']}\n'
		} >"$T_TMP/bao/dr/init.json"
	fi
	python3 "$TOP/tests/fixtures/vault_dr.py" "$T_TMP/bao/dr/init.json" \
	    "$T_TMP/$1.port" "$T_TMP/$1.log" 3 "$2" &
	on_exit "kill $! 2>/dev/null"
	wait_for test -s "$T_TMP/$1.port"
}

# quorum_sticks NAME: the holders' sticks for server NAME's init.json keys
# (or recovery keys on an auto-unseal server),
# share k encrypted to holder k as init's handout writes it.
quorum_sticks() {
	local k
	for k in 1 2 3 4 5; do
		mkdir -p "$T_TMP/stick$k"
		encrypt_share "$k" "$(jq -r "(if (.keys | length) > 0 then .keys
		    else .recovery_keys end)[$((k - 1))]" "$(bao_dir "$1")/init.json")" \
		    >"$T_TMP/stick$k/share.gpg" || return 1
	done
}

# bridge_sas DIR: the five words the bridge showed.
bridge_sas() {
	grep -A1 '^Short authentication string' "$1/bridge.out" | tail -n 1 |
	    sed 's/^ *//'
}

# wait_envelope DIR SEQ TYPE: until the bridge has written it.
wait_envelope() {
	wait_for sh -c "ls '$1'/x/*/$(printf %06d "$2")-$3.env >/dev/null 2>&1"
}

# bridge_wait DIR: the bridge's exit status.
bridge_wait() { wait "$(cat "$1/bridge.pid")"; }

BRIDGE_EXTRA=()
REKEY_CURRENT=(alice:1 bob:2 erin:5)
# rotate_ceremony DIR ADDR ROOTFILE [APPLIANCE-ARGS]: a whole rekey of n=2,
# t=2 with verification, new holders carol and dave (their new shares in
# DIR/n1, DIR/n2), the current shares of REKEY_CURRENT (NAME:K, from
# $T_TMP/stickK); the bridge with the token in ROOTFILE (sys/rotate on
# OpenBao; "-" for none: the unauthenticated sys/rekey) and the arguments
# in BRIDGE_EXTRA.
rotate_ceremony() {
	local d=$1 addr=$2 root=$3 h tok=(); shift 3
	[ "$root" = - ] || tok=(--token-file "$root")
	mkdir -p "$d/x"
	"$CONCLAVE" rekey begin --state "$d/state" --exchange "$d/x" --threshold 2 \
	    --holder carol="$KEYS/holder3.asc" --holder dave="$KEYS/holder4.asc" "$@" \
	    >"$d/begin.out" 2>&1 &&
	quorum_bridge_start "$d" rekey --exchange "$d/x" --address "$addr" \
	    "${tok[@]}" --wait 120 "${BRIDGE_EXTRA[@]}" &&
	"$CONCLAVE" rekey accept --state "$d/state" --confirm-sas "$(bridge_sas "$d")" \
	    >/dev/null || return 1
	for h in "${REKEY_CURRENT[@]}"; do
		quorum_share rekey "$d" "${h%:*}" "${h#*:}" || return 1
	done
	"$CONCLAVE" rekey submit --state "$d/state" &&
	wait_envelope "$d" 4 rekey-result && "$CONCLAVE" rekey result --state "$d/state" &&
	mkdir -p "$d/n1" "$d/n2" &&
	"$CONCLAVE" rekey handout --state "$d/state" --holder 1 --stick "$d/n1" \
	    --secret-key "$KEYS/holder3.sec.asc" --passphrase-fd 3 3<"$PASSFILE" &&
	"$CONCLAVE" rekey handout --state "$d/state" --holder 2 --stick "$d/n2" \
	    --secret-key "$KEYS/holder4.sec.asc" --passphrase-fd 3 3<"$PASSFILE" &&
	"$CONCLAVE" rekey verify --state "$d/state" &&
	"$CONCLAVE" rekey share --state "$d/state" --holder carol \
	    --share-file "$(ls "$d"/n1/*.gpg)" --secret-key "$KEYS/holder3.sec.asc" \
	    --passphrase-fd 3 3<"$PASSFILE" &&
	"$CONCLAVE" rekey share --state "$d/state" --holder dave \
	    --share-file "$(ls "$d"/n2/*.gpg)" --secret-key "$KEYS/holder4.sec.asc" \
	    --passphrase-fd 3 3<"$PASSFILE" &&
	"$CONCLAVE" rekey submit --state "$d/state" &&
	wait_envelope "$d" 6 submission-result &&
	"$CONCLAVE" rekey finish --state "$d/state" && bridge_wait "$d"
}

# snap DIR: what is in DIR (or that it is absent), to compare.
snap() {
	if [ ! -e "$1" ]; then echo absent; return; fi
	(cd "$1" && find . -printf '%p %y %m %s\n' | sort &&
	    find . -type f -exec sha256sum {} + | sort)
}
# refused_once NAME STATE ERR -- CMD...: CMD fails; STATE's transcript
# gains one record, a refusal with error ERR, after its old bytes, and
# nothing else in STATE changes.
refused_once() {
	local name=$1 st=$2 err=$3 t=$2/transcript.jsonl before old; shift 4
	before=$(snap "$st" | grep -v '\./transcript\.jsonl')
	old=$(wc -c <"$t")
	cp "$t" "$T_TMP/before.jsonl"
	if "$@" >"$T_TMP/out" 2>&1; then
		fail "$name: refused"; cat "$T_TMP/out"; return
	fi
	ok "$name: refused"
	if [ "$(snap "$st" | grep -v '\./transcript\.jsonl')" = "$before" ]; then
		ok "$name: the state folder unchanged but for the record"
	else
		fail "$name: the state folder changed"
		diff <(echo "$before") <(snap "$st" | grep -v '\./transcript\.jsonl') | head -5
	fi
	if head -c "$old" "$t" | cmp -s - "$T_TMP/before.jsonl" &&
	    [ "$(tail -c +"$((old + 1))" "$t" | wc -l)" = 1 ] &&
	    [ "$(tail -n 1 "$t" | jq -r '.type + " " + .details.error')" = "refused $err" ]; then
		ok "$name: on the record once, as $err"
	else
		fail "$name: on the record once, as $err"
		tail -c +"$((old + 1))" "$t" | head -3
	fi
}

# unchanged NAME DIR... -- CMD...: CMD fails and every DIR stays as it was.
unchanged() {
	local name=$1 dirs=() before=() i; shift
	while [ "$1" != -- ]; do dirs+=("$1"); shift; done; shift
	for i in "${!dirs[@]}"; do before[$i]=$(snap "${dirs[$i]}"); done
	if "$@" >"$T_TMP/out" 2>&1; then
		fail "$name: refused"; cat "$T_TMP/out"; return
	fi
	ok "$name: refused"
	for i in "${!dirs[@]}"; do
		if [ "$(snap "${dirs[$i]}")" = "${before[$i]}" ]; then
			ok "$name: ${dirs[$i]#"$T_TMP"/} unchanged"
		else
			fail "$name: ${dirs[$i]#"$T_TMP"/} changed"
			diff <(echo "${before[$i]}") <(snap "${dirs[$i]}") | head -5
		fi
	done
}
