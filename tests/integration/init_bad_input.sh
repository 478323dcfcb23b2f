#!/usr/bin/env bash
# Init ceremony bad inputs (issue 3): each gives its specific error and
# changes nothing; afterwards the same ceremony completes and its
# transcript, refusals included, verifies.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
ENV_TOOL=$BUILD/tests/tools/envelope_tool

# begin_refused NAME ERROR ARGS...: refused with ERROR, nothing written.
begin_refused() {
	local name=$1 err=$2 d=$T_TMP/refused-$RANDOM; shift 2
	mkdir -p "$d/x"
	check_output "$name: refused with $err" "$err" "$CONCLAVE" init begin \
	    --state "$d/state" --exchange "$d/x" "$@"
	check "$name: nothing written" sh -c "[ -z \"\$(ls -A '$d/x')\" ] && [ ! -e '$d/state/ceremony.json' ]"
}
H1="--holder alice=$KEYS/holder1.asc"
H2="--holder bob=$KEYS/holder2.asc"
H3="--holder carol=$KEYS/holder3.asc"
OP="--operator olga=$KEYS/operator.asc"
begin_refused "t > n" CK_ERR_QUORUM -t 4 $H1 $H2 $H3 $OP
begin_refused "t = 1 with n > 1" CK_ERR_QUORUM -t 1 $H1 $H2 $H3 $OP
begin_refused "sign-only holder key" CK_ERR_KEY_NO_ENCRYPT -t 2 $H1 $H2 \
    --holder sam="$KEYS/signonly.asc" $OP
begin_refused "expired holder key" CK_ERR_KEY_EXPIRED -t 2 $H1 $H2 \
    --holder eve="$KEYS/expired.asc" $OP
begin_refused "expired encryption subkey" CK_ERR_KEY_EXPIRED -t 2 $H1 $H2 \
    --holder eve="$KEYS/expiredsub.asc" $OP
begin_refused "revoked holder key" CK_ERR_KEY_REVOKED -t 2 $H1 $H2 \
    --holder rex="$KEYS/revoked.asc" $OP
begin_refused "revoked encryption subkey" CK_ERR_KEY_REVOKED -t 2 $H1 $H2 \
    --holder rex="$KEYS/revokedsub.asc" $OP
begin_refused "the same key twice" CK_ERR_KEY_DUPLICATE -t 2 $H1 $H2 \
    --holder alice2="$KEYS/holder1.asc" $OP

# The exchange folder not there (the stick not mounted) is named as such.
d=$T_TMP/no-exchange
check_output "no exchange folder: named" \
    'CK_ERR_NOT_FOUND.*the exchange folder is not there: is the exchange stick in' \
    joined "$CONCLAVE" init begin --state "$d/state" --exchange "$d/x" -t 2 $H1 $H2 $H3 $OP
check "no exchange folder: nothing written" test ! -e "$d/state"
check_output "the same for unseal begin" 'the exchange folder is not there' \
    joined "$CONCLAVE" unseal begin --state "$d/state" --exchange "$d/x"
check "... nothing written" test ! -e "$d/state"

# An unusable TMPDIR (where the throwaway GnuPG home goes) is named.
tmpdir_refused() {	# NAME TMPDIR
	local d=$T_TMP/tmpdir-$RANDOM
	mkdir -p "$d/x"
	check_output "$1: named" "cannot make a private GnuPG home in $2 \\(TMPDIR\\)" \
	    env TMPDIR="$2" "$CONCLAVE" init begin --state "$d/state" --exchange "$d/x" \
	    -t 2 $H1 $H2 $H3 $OP
	check "$1: nothing written" sh -c "[ -z \"\$(ls -A '$d/x')\" ] && [ ! -e '$d/state' ]"
}
tmpdir_refused "TMPDIR missing" "$T_TMP/no-such-dir"
touch "$T_TMP/a-file"
tmpdir_refused "TMPDIR a file" "$T_TMP/a-file"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
bao_start_static r1 || { fail "OpenBao (static) starts"; finish; }

# bridge_refused NAME ERROR DIR ADDR [OPTS]: the bridge refuses, writes nothing.
bridge_refused() {
	local name=$1 err=$2 d=$3 addr=$4; shift 4
	check_output "$name: bridge refuses with $err" "$err" \
	    joined "$BRIDGE" init --exchange "$d/x" --address "$addr" --root-token-fd 0 \
	    --key-words "$(key_words "$d")" "$@" </dev/null
	check "$name: no init result written" sh -c "! ls '$d'/x/*/000002-* >/dev/null 2>&1"
}
check "recovery request for the Shamir server" ceremony_begin "$T_TMP/m1" 3 --recovery
bridge_refused "recovery shares on a Shamir seal" CK_ERR_SEAL_MISMATCH "$T_TMP/m1" "$(bao_addr s1)"
check_output "the Shamir server is still uninitialised" '^false$' seal_field s1 .initialized
check "unseal request for the static-seal server" ceremony_begin "$T_TMP/m2" 3
bridge_refused "unseal shares on an auto-unseal seal" CK_ERR_SEAL_MISMATCH "$T_TMP/m2" "$(bao_addr r1)"
check_output "the static server is still uninitialised" '^false$' seal_field r1 .initialized
bridge_refused "server unreachable" CK_ERR_UNREACHABLE "$T_TMP/m2" "http://127.0.0.1:9"
# Keys the server would be asked to encrypt to: checked before PUT sys/init.
request_forged() {	# NAME JQ-FILTER REGEX [ADDR]
	local d=$T_TMP/keys-$RANDOM fid
	fid=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	mkdir -p "$d/x/$fid"
	# Signed with m2's ceremony key: the room confirmed its words.
	"$ENV_TOOL" payload "$(ls "$T_TMP"/m2/x/*/000001-init-request.env)" | jq -c "$2" |
	    "$ENV_TOOL" forge init-request "$fid" 1 "$T_TMP/m2/state/ceremony.key" \
	    >"$d/x/$fid/000001-init-request.env"
	cp "$T_TMP/m2/begin.out" "$d/begin.out"
	bridge_refused "$1" "$3" "$d" "${4:-$(bao_addr s1)}"
	check_output "$1: the server is still uninitialised" '^false$' seal_field s1 .initialized
}
request_forged "the unchanged request gets past the key checks (the control)" . \
    CK_ERR_UNREACHABLE http://127.0.0.1:9
request_forged "pgp_keys[0] not base64" '.pgp_keys[0] = "not base64!"' 'pgp_keys\[0\] is not base64'
request_forged "pgp_keys[1] junk" '.pgp_keys[1] = "AAECAwQFBgcICQ=="' \
    'pgp_keys\[1\] is not an OpenPGP public key'
request_forged "root_token_pgp_key junk" '.root_token_pgp_key = "AAAA"' \
    'root_token_pgp_key is not an OpenPGP public key'
bao_start_shamir tls1 --tls || fail "OpenBao (TLS) starts"
bridge_refused "TLS certificate not trusted" CK_ERR_TLS "$T_TMP/m2" "$(bao_addr tls1)"
check_output "the TLS server is still uninitialised" '^false$' seal_field tls1 .initialized

# The real ceremony A on s1.
A=$T_TMP/a
check "A: begin" ceremony_begin "$A" 3
check "A: bridge init" bridge_init_start "$A" "$(bao_addr s1)"
check "already initialised: another request" ceremony_begin "$T_TMP/m3" 3
bridge_refused "server already initialised" CK_ERR_ALREADY_INIT "$T_TMP/m3" "$(bao_addr s1)"
# A bridge killed between sys/init and writing the result leaves the same
# folder and server: the refusal says what was lost and what to do.
check_output "already initialised: a bridge stopped after sys/init is named" \
    'If a bridge stopped after initialising it for this request.*lost with it.*wipe its storage' \
    joined "$BRIDGE" init --exchange "$T_TMP/m3/x" --address "$(bao_addr s1)" \
    --root-token-fd 0 --key-words "$(key_words "$T_TMP/m3")" </dev/null

F=$(ls -d "$A"/x/*)
id=$(basename "$F")
cp "$F/000002-init-result.env" "$T_TMP/good.env"
good=$("$ENV_TOOL" payload "$T_TMP/good.env")
put() { rm -f "$F"/000002-* "$F"/000003-*; cp "$1" "$F/$2"; }
forge() {	# TYPE SEQ JQ-FILTER [CEREMONY [KEY]]
	echo "$good" | jq -c "$3" | "$ENV_TOOL" forge "$1" "${4:-$id}" "$2" ${5:+"$5"} \
	    >"$T_TMP/forged.env"
}
accept_refused() {	# NAME ERROR
	check_output "$1: accept refused with $2" "$2" "$CONCLAVE" init accept --state "$A/state"
	check_output "$1: ceremony still waits for the result" '^requested$' \
	    sh -c "'$CONCLAVE' init status --state '$A/state' | head -n 1"
}
head -c 200 "$T_TMP/good.env" >"$T_TMP/cut.env"
{ head -c 300 "$T_TMP/good.env"; printf 'X'; tail -c +302 "$T_TMP/good.env"; } >"$T_TMP/tampered.env"
put "$T_TMP/tampered.env" 000002-init-result.env
accept_refused "tampered result" CK_ERR_BAD_SIGNATURE
put "$T_TMP/cut.env" 000002-init-result.env
accept_refused "truncated result" CK_ERR_TRUNCATED
forge init-result 2 . 0123456789abcdef0123456789abcdef
put "$T_TMP/forged.env" 000002-init-result.env
accept_refused "result of another ceremony" CK_ERR_WRONG_CEREMONY
put "$F/000001-init-request.env" 000002-init-result.env
accept_refused "replayed envelope" CK_ERR_REPLAY
forge closing-result 3 '{"root_token_revoked":true}'
put "$T_TMP/forged.env" 000003-closing-result.env
accept_refused "out of order" CK_ERR_OUT_OF_ORDER
forge closing-result 2 '{"root_token_revoked":true}'
put "$T_TMP/forged.env" 000002-closing-result.env
accept_refused "wrong envelope type" CK_ERR_BAD_TYPE
forge init-result 2 '.response.keys_base64 |= .[1:]'
put "$T_TMP/forged.env" 000002-init-result.env
accept_refused "a share missing" CK_ERR_SHARE_COUNT
forge init-result 2 '.response.keys_base64 |= [.[1], .[0]] + .[2:]'
put "$T_TMP/forged.env" 000002-init-result.env
accept_refused "shares swapped between holders" CK_ERR_WRONG_RECIPIENT
forge init-result 2 '.response.root_token = .response.keys_base64[0]'
put "$T_TMP/forged.env" 000002-init-result.env
accept_refused "root token not to the operator" CK_ERR_WRONG_RECIPIENT

# Issue 13: what stands where the result should be is named.
R=$F/000002-init-result.env
special() { rm -rf "$F"/000002-* "$F"/000003-*; "$@"; }
special ln -s /etc/shadow "$R"
accept_refused "a symlink to /etc/shadow" CK_ERR_SYMLINK
mkfifo "$T_TMP/fifo"
special ln -s "$T_TMP/fifo" "$R"
accept_refused "a symlink to a FIFO" CK_ERR_SYMLINK
special ln -s /dev/zero "$R"
accept_refused "a symlink to /dev/zero" CK_ERR_SYMLINK
special mkfifo "$R"
accept_refused "a FIFO" CK_ERR_NOT_REGULAR
special mkdir "$R"
accept_refused "a directory" CK_ERR_NOT_REGULAR
special python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$R"
accept_refused "a socket" CK_ERR_NOT_REGULAR
if special mknod "$R" c 1 5 2>/dev/null; then
	accept_refused "a device node" CK_ERR_NOT_REGULAR
else
	ok "a device node: skipped (mknod needs root)"
fi
special true

# Issue 13: a step checks everything before it saves anything.
state_same() { cmp -s "$A/state/ceremony.json" "$T_TMP/state.before"; }
cp "$A/state/ceremony.json" "$T_TMP/state.before"
forge init-result 2 '.server.version = "2.0\u001b[31m\u0007"'
put "$T_TMP/forged.env" 000002-init-result.env
accept_refused "control characters in server.version" 'server\.version is not printable'
check "... ceremony.json unchanged (no half-accepted result)" state_same
forge closing-result 2 '{"root_token_revoked":true,"lookup_refused":true,"accessor":"x"}'
put "$T_TMP/forged.env" 000002-closing-result.env
check_output "... then a closing result from a never-seen key cannot close it" \
    CK_ERR_STATE "$CONCLAVE" init close --state "$A/state"
check "... ceremony.json still unchanged" state_same
forge init-result 2 . "$id" "$A/state/ceremony.key"
put "$T_TMP/forged.env" 000002-init-result.env
accept_refused "result signed with the appliance's own ceremony key" CK_ERR_WRONG_KEY
forge init-result 2 '.response.keys |= [.[1], .[0]] + .[2:]'
put "$T_TMP/forged.env" 000002-init-result.env
accept_refused "hex keys that disagree with keys_base64" \
    'response\.keys\[0\] is not the same share'
forge init-result 2 '.padding = ("x" * 200000)'
put "$T_TMP/forged.env" 000002-init-result.env
accept_refused "an unknown 200 KB member" 'has a member "padding"'
check "... ceremony.json unchanged by all of them" state_same

# A2: a copy of A, answered by a bridge key this test holds, so that it can
# sign closing results the appliance would otherwise take from the bridge.
A2=$T_TMP/a2
cp -a "$A" "$A2"
F2=$A2/x/$id
"$ENV_TOOL" keypair "$T_TMP/bridge.key"
rm -f "$F2"/000002-* "$F2"/000003-*
echo "$good" | "$ENV_TOOL" forge init-result "$id" 2 "$T_TMP/bridge.key" \
    >"$F2/000002-init-result.env"
check "A2: the result, signed by the test's bridge key, is accepted" \
    "$CONCLAVE" init accept --state "$A2/state" --exchange "$A2/x"
for k in 1 2 3 4 5; do
	check "A2: handout $k" handout "$A2" "$k"
done
closing() {	# PAYLOAD [KEY]: the closing result at seq 3
	rm -f "$F2"/000003-*
	echo "$1" | "$ENV_TOOL" forge closing-result "$id" 3 ${2:+"$2"} \
	    >"$F2/000003-closing-result.env"
}
close_refused() {	# NAME REGEX
	check_output "A2: $1: close refused ($2)" "$2" \
	    "$CONCLAVE" init close --state "$A2/state"
	check_output "A2: $1: still accepted, not closed" '^accepted$' \
	    sh -c "'$CONCLAVE' init status --state '$A2/state' | head -n 1"
}
proof() { jq -nc --arg a "$1" --argjson l "${2:-true}" \
    '{root_token_revoked: true, accessor: $a, lookup_refused: $l}'; }
closing "$(proof abcdefghijklmnopqrstuvwx)"
close_refused "closing result signed by a never-seen key" CK_ERR_WRONG_KEY
closing "$(proof $'abc\033[2Jdef\a')" "$T_TMP/bridge.key"
close_refused "accessor with ESC and BEL" 'accessor is not printable'
closing "$(proof "$(head -c 100000 /dev/zero | tr '\0' a)")" "$T_TMP/bridge.key"
close_refused "accessor of 100,000 characters" 'accessor is 100000 bytes'
closing "$(proof abcdefghijklmnopqrstuvwx false)" "$T_TMP/bridge.key"
close_refused "lookup_refused false" 'does not prove'
cp "$A2/state/ceremony.json" "$T_TMP/a2.json"
jq 'del(.bridge_pk)' "$T_TMP/a2.json" >"$A2/state/ceremony.json"
closing "$(proof abcdefghijklmnopqrstuvwx)" "$T_TMP/bridge.key"
close_refused "a state past seq 2 with no bridge key pinned" CK_ERR_STATE
cp "$T_TMP/a2.json" "$A2/state/ceremony.json"
check "A2: the proof signed by the pinned key closes it" \
    "$CONCLAVE" init close --state "$A2/state"
T2=$A2/state/transcript.jsonl
check_output "A2: each refused closing result is on record once" '^5$' \
    sh -c "grep '\"type\":\"refused\"' '$T2' | grep -c '\"what\":\"closing-result\"'"
check_output "A2: the refusal names the field" '"reason":"accessor is not printable' \
    cat "$T2"
check_output "A2: the transcript verifies" '^OK' "$CONCLAVE" verify "$T2"

put "$T_TMP/good.env" 000002-init-result.env
check "the genuine result is then accepted" "$CONCLAVE" init accept --state "$A/state"
check_output "accepting it twice is refused" 'not allowed in the current state' \
    "$CONCLAVE" init accept --state "$A/state"

mkdir -p "$A/stick1"
check_output "handout with a wrong passphrase: CK_ERR_BAD_PASSPHRASE" CK_ERR_BAD_PASSPHRASE \
    sh -c "echo wrong | '$CONCLAVE' init handout --state '$A/state' --holder 1 \
    --stick '$A/stick1' --secret-key '$KEYS/holder1.sec.asc' --passphrase-fd 0"
check_output "handout with another holder's key: CK_ERR_WRONG_KEY" CK_ERR_WRONG_KEY \
    "$CONCLAVE" init handout --state "$A/state" --holder 1 --stick "$A/stick1" \
    --secret-key "$KEYS/holder2.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
check_output "handout to holder 9 of 5: CK_ERR_NOT_FOUND" CK_ERR_NOT_FOUND \
    "$CONCLAVE" init handout --state "$A/state" --holder 9 --stick "$A/stick1" \
    --secret-key "$KEYS/holder1.sec.asc" --passphrase-fd 3 3<"$PASSFILE"
# No smartcard here (and none in CI): the card path must say so, not hang.
check_output "handout by smartcard with no card: CK_ERR_NOT_FOUND, says so" \
    'no OpenPGP smartcard found' \
    sh -c "echo 123456 | timeout 60 '$CONCLAVE' init handout --state '$A/state' \
    --holder 1 --stick '$A/stick1' --passphrase-fd 0"
for k in 1 2 3 4 5; do
	check "A: handout $k after the refusals" handout "$A" "$k"
done
check "A: shares unseal" bao_unseal s1 "$(gpg_share "$A" 2)" "$(gpg_share "$A" 4)" "$(gpg_share "$A" 5)"
check "A: revoke" bridge_init_finish "$A" "$(operator_root_token "$A")"
check "A: close" "$CONCLAVE" init close --state "$A/state"
T=$A/state/transcript.jsonl
check_output "A: transcript verifies, refusals and all" '^OK' "$CONCLAVE" verify "$T"
check_output "A: the transcript records the 20 refused envelopes" '^20$' \
    sh -c "grep '\"type\":\"refused\"' '$T' | grep -c '\"what\":\"init-result\"'"
check_output "A: ... and the 3 failed decrypt proofs (passphrase, key, no card)" '^3$' \
    sh -c "grep '\"type\":\"refused\"' '$T' | grep -c '\"what\":\"decrypt-proof\"'"
check_output "A: a closed ceremony refuses further steps" CK_ERR_CLOSED \
    "$CONCLAVE" init accept --state "$A/state"

# conclave verify checks the claims it reports, and says OK only on exit 0.
TOOL=$BUILD/tests/tools/transcript_tool
verify_refuses() {	# NAME JQ-FILTER REGEX: the edited, re-signed copy fails
	local f=$T_TMP/edited-$RANDOM.jsonl
	jq -c "$2" "$T" >"$f.in" && "$TOOL" replay "$f.in" "$f" >/dev/null
	check_output "verify: $1: refused ($3)" "$3" "$CONCLAVE" verify "$f"
	check_fails "verify: $1: exit status 1" "$CONCLAVE" verify "$f"
	check_fails "verify: $1: no OK on stdout" sh -c "'$CONCLAVE' verify '$f' 2>/dev/null | grep -q '^OK'"
}
"$TOOL" replay "$T" "$T_TMP/replayed.jsonl" >/dev/null
check_output "verify: an unedited re-signed copy verifies (the control)" '^OK' \
    "$CONCLAVE" verify "$T_TMP/replayed.jsonl"
verify_refuses "revocation with lookup_refused false" \
    'if .type == "root-token-revoked" then .details.lookup_refused = false else . end' \
    'not shown revoked'
verify_refuses "revocation record dropped" 'select(.type != "root-token-revoked")' \
    'not shown revoked'
verify_refuses "a handout without its commitment" \
    'if .type == "share-handed-out" and .details.share == 3 then del(.details.commitment) else . end' \
    'no handout with proof for share 3'
finish
