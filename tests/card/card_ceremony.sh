#!/usr/bin/env bash
# Smartcards through gpg's own scdaemon (docs/smartcards.md): a virtual
# OpenPGP card (tests/tools/openpgp_card.py) in vsmartcard's vpcd reader
# under pcscd, personalised with `gpg --edit-key ... keytocard` as a holder
# would (RSA-2048, RSA-3072 and Cv25519 encryption keys), then an init
# ceremony against a real OpenBao where the holders prove their shares
# with their cards through conclave's decrypt path
# (pgp_card_learn, pgp_decrypt, the PIN through the loopback pinentry):
# no card, the wrong holder's card (refused before any PIN reaches it), a
# wrong PIN (the tries left are reported and counted down on the card), the
# card pulled out in the middle of the decryption, the right PIN, a PIN
# blocked after three wrong ones (refused before anything is asked), and
# stock gpg decrypting the share file with the card. Then an unseal
# ceremony in which alice's and carol's cards give their shares (with their
# public keys, --holder-key) and the server really unseals.
#
# pcscd has one fixed socket (/run/pcscd) and vpcd listens on every
# address, so the test runs in a network and mount namespace of its own
# (only lo; a private /run/pcscd): it needs root, as CI has.
if [ -z "${CONCLAVE_CARD_NS:-}" ]; then
	exec env CONCLAVE_CARD_NS=1 unshare --net --mount --fork bash "$0" "$@" ||
	    { echo "not ok - a private network and mount namespace (unshare needs root)"
	      echo "0 passed, 1 failed"; exit 1; }
fi
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

CARD="/usr/bin/python3 $TOP/tests/tools/openpgp_card.py"
PORT=35963	# vpcd's own default; private to this namespace
PIN=$T_TMP/pin	# the cards' user PIN, 123456
printf '123456\n' >"$PIN"
printf '654321\n' >"$T_TMP/badpin"

ip link set lo up && mount -t tmpfs tmpfs /run/pcscd ||
    { fail "namespace: lo up and a private /run/pcscd"; finish; }
mkdir -p "$T_TMP/reader"
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%s\nLIBPATH %s\nCHANNELID %s\n' \
    "$PORT" /usr/lib/pcsc/drivers/serial/libifdvpcd.so "$PORT" >"$T_TMP/reader/vpcd"
pcscd --foreground --config "$T_TMP/reader" >"$T_TMP/pcscd.log" 2>&1 &
echo $! >"$T_TMP/pcscd.pid"
on_exit "kill $(cat "$T_TMP/pcscd.pid") 2>/dev/null"

# insert NAME [ARGS...]: the card whose state is $T_TMP/NAME.json goes in;
# pull_out ends it. The reader notices within pcscd's polling interval.
insert() {
	local name=$1; shift
	$CARD --port "$PORT" --state "$T_TMP/$name.json" "$@" >"$T_TMP/$name.card.log" 2>&1 &
	echo $! >"$T_TMP/card.pid"
	wait_for grep -q inserted "$T_TMP/$name.card.log" && sleep 1
}
pull_out() {
	kill "$(cat "$T_TMP/card.pid")" 2>/dev/null
	wait "$(cat "$T_TMP/card.pid")" 2>/dev/null
	sleep 1
}
on_exit pull_out
tries() { jq -r '.tries[0]' "$T_TMP/$1.json"; }

# personalise NAME KEY: the holder's encryption subkey moved to the card with
# gpg's keytocard, in the holder's own home (their workstation).
personalise() {
	local home=$T_TMP/ws-$1 fpr
	mkdir -m 700 "$home"
	echo allow-loopback-pinentry >"$home/gpg-agent.conf"
	gpg --homedir "$home" --batch --quiet --pinentry-mode loopback \
	    --passphrase-file "$PASSFILE" --import "$KEYS/$2.sec.asc" 2>/dev/null
	fpr=$(gpg --homedir "$home" --with-colons -k | awk -F: '$1=="fpr"{print $10; exit}')
	# The admin PIN is the key's passphrase here: loopback gives gpg one.
	CARD_ADMIN_PIN=$(cat "$PASSFILE") insert "$1" || return 1
	printf 'key 1\nkeytocard\n2\nsave\n' | gpg --homedir "$home" --batch \
	    --pinentry-mode loopback --passphrase-file "$PASSFILE" --command-fd 0 \
	    --edit-key "$fpr" >/dev/null 2>&1
	gpg --homedir "$home" --batch --with-colons --card-status 2>/dev/null |
	    grep -q "^fpr::[0-9A-F]*$(gpg --with-colons --show-keys "$KEYS/$2.asc" 2>/dev/null |
	    awk -F: '$1=="sub"{print $5; exit}'):"
	local rc=$?
	pull_out
	return $rc
}
check "alice's card: her RSA-2048 encryption key moved to it with keytocard" \
    personalise alice rsa2048
check "bob's card: his RSA-3072 encryption key moved to it" personalise bob holder1
check "carol's card: her Cv25519 (ECDH) encryption key moved to it" personalise carol holder3

bao_start_shamir card || { fail "OpenBao starts"; finish; }
C=$T_TMP/c
mkdir -p "$C/x"
card_begin() {
	"$CONCLAVE" init begin --state "$C/state" --exchange "$C/x" -t 2 \
	    --holder alice="$KEYS/rsa2048.asc" --holder bob="$KEYS/holder1.asc" \
	    --holder carol="$KEYS/holder3.asc" --operator olga="$KEYS/operator.asc" \
	    >"$C/begin.out"
}
check "init begin: alice, bob and carol hold cards" card_begin
check "bridge init" bridge_init_start "$C" "$(bao_addr card)"
check "init accept" "$CONCLAVE" init accept --state "$C/state"

# card_handout K PINFILE: holder K's handout with the card in the reader.
card_handout() {
	mkdir -p "$C/stick$1"
	"$CONCLAVE" init handout --state "$C/state" --holder "$1" --stick "$C/stick$1" \
	    --passphrase-fd 3 3<"$2"
}
T=$C/state/transcript.jsonl

check_output "no card in the reader: refused before any PIN is asked" \
    "CK_ERR_NOT_FOUND.*|no OpenPGP smartcard found" card_handout 1 "$PIN"
check "... and nothing is on alice's stick" test -z "$(ls -A "$C/stick1")"

insert alice
check_output "alice's card for bob's share: the wrong holder's card" \
    "CK_ERR_WRONG_KEY" card_handout 2 "$PIN"
check_output "... refused before any PIN reached it: 3 tries left" '^3$' tries alice

check_output "a wrong PIN: refused, 2 tries left reported" \
    "CK_ERR_BAD_PASSPHRASE.*|the card has 2 tries left" card_handout 1 "$T_TMP/badpin"
check_output "... and counted on the card" '^2$' tries alice
check_output "the transcript records the refused proof" '"decrypt-proof"' cat "$T"

pull_out
touch "$T_TMP/pull"
insert alice --remove-on-decipher "$T_TMP/pull"
check_output "the card pulled out mid-decryption: a specific refusal" \
    "CK_ERR_CARD_REMOVED" card_handout 1 "$PIN"
check "... the card really was in the middle of PSO:DECIPHER" test ! -e "$T_TMP/pull"
pull_out
insert alice
# On a terminal (script(1) gives it one): the prompt says the tries left.
mkdir -p "$C/stick1"
# (The PIN is typed once the prompt is up: the prompt flushes what was
# typed ahead; and the keyboard stays open until the decryption is done.)
{ wait_for grep -q 'PIN (' "$C/tty.out"; cat "$PIN"
  wait_for grep -q 'proven\|CK_ERR' "$C/tty.out"; } |
    script -qefc "'$CONCLAVE' init handout --state '$C/state' --holder 1 --stick '$C/stick1'" \
    /dev/null >"$C/tty.out" 2>&1
check_output "on a terminal the prompt says: PIN (3 tries left)" 'PIN \(3 tries left\): ' \
    cat "$C/tty.out"
check_output "alice's card back in, the right PIN: the proof passes" \
    "Share 1 written .* and proven" cat "$C/tty.out"
check_output "... and the PIN's tries are back to 3" '^3$' tries alice
check_output "stock gpg decrypts alice's share file with her card" '^[0-9a-f]{66}$' \
    gpg --homedir "$T_TMP/ws-alice" --batch --quiet --pinentry-mode loopback \
    --passphrase-file "$PIN" --decrypt "$C"/stick1/*.gpg
pull_out

insert bob
for i in 1 2 3; do card_handout 2 "$T_TMP/badpin" >/dev/null 2>&1; done
check_output "three wrong PINs block bob's card" '^0$' tries bob
check_output "a blocked PIN is refused before anything is asked" \
    "CK_ERR_PIN_BLOCKED" card_handout 2 /dev/null
pull_out

insert carol
check_output "carol proves hers with her Cv25519 card (OpenBao's ECDH message, decrypted on the card)" \
    "Share 3 written .* and proven" card_handout 3 "$PIN"
pull_out
# Each refusal on the record once: no card, the wrong card, a wrong PIN,
# the card pulled out, bob's three wrong PINs, his blocked PIN.
check_output "the transcript records the 8 refused decrypt proofs, once each" '^8$' \
    sh -c "grep '\"type\":\"refused\"' '$T' | grep -c '\"what\":\"decrypt-proof\"'"
check_output "... the first one: no card (CK_ERR_NOT_FOUND), by alice" 'CK_ERR_NOT_FOUND.*alice|alice.*CK_ERR_NOT_FOUND' \
    sh -c "grep '\"what\":\"decrypt-proof\"' '$T' | head -n 1"
check_output "init status: alice and carol proven, bob not" "2 of 3 shares handed out" \
    "$CONCLAVE" init status --state "$C/state"
# --- unseal: the server is sealed after init; alice's and carol's cards
# unseal it through conclave's quorum ceremony ---
U=$T_TMP/u
mkdir -p "$U/x"
check "unseal begin" "$CONCLAVE" unseal begin --state "$U/state" --exchange "$U/x"
check "bridge unseal offers a session" quorum_bridge_start "$U" unseal \
    --exchange "$U/x" --address "$(bao_addr card)" --wait 120
check "the witness confirms the words" "$CONCLAVE" unseal accept --state "$U/state" \
    --witness walt --confirm-sas "$(bridge_sas "$U")"
card_share() {	# NAME PINFILE [ARGS...]: NAME's share from stick1 by card
	local name=$1 pin=$2; shift 2
	"$CONCLAVE" unseal share --state "$U/state" --holder "$name" \
	    --share-file "$(ls "$C"/stick1/*.gpg)" --passphrase-fd 3 "$@" 3<"$pin"
}
insert alice
check_output "a share by card without the holder's public key: says what is missing" \
    'CK_ERR_INVALID_ARG.*|--holder-key FILE' card_share alice "$PIN"
check_output "bob's public key for alice's card: refused before any PIN" \
    'CK_ERR_WRONG_KEY' card_share alice "$PIN" --holder-key "$KEYS/holder1.asc"
check_output "... alice's card still has 3 tries" '^3$' tries alice
check_output "alice's share by her card, with her public key: sealed to the bridge" \
    "alice's share is sealed" card_share alice "$PIN" --holder-key "$KEYS/rsa2048.asc"
pull_out
insert carol
check_output "carol's share by her card" "carol's share is sealed" \
    "$CONCLAVE" unseal share --state "$U/state" --holder carol \
    --share-file "$(ls "$C"/stick3/*.gpg)" --holder-key "$KEYS/holder3.asc" \
    --passphrase-fd 3 3<"$PIN"
pull_out
check "submit" "$CONCLAVE" unseal submit --state "$U/state"
check "the bridge answers" wait_envelope "$U" 4 submission-result
check_output "result: the server is unsealed, ceremony closed" 'Ceremony closed' \
    "$CONCLAVE" unseal result --state "$U/state"
check_output "the server is unsealed" '^false$' seal_field card .sealed
bridge_init_finish "$C" "$(operator_root_token "$C")" >/dev/null 2>&1
finish
