#!/usr/bin/env bash
# The roster's ECDH warning in the guided UI names each key's own curve
# (it said "Curve25519" for P-256, P-384, brainpool and secp256k1 alike):
# one holder per curve, each key's fingerprint screen read as the room
# sees it, wrapped within 80 columns. No server needed.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/uidrive.sh"
KEYS=$TOP/tests/vectors/keys

C=$T_TMP/c
mkdir -p "$C/keys" "$C/x"
# Sorted by file name, the order of the fingerprint screens.
curves=(brainpoolp384 holder3 nistp256 nistp384 nistp521 secp256k1)
names=("brainpoolP384r1" "Curve25519" "NIST P-256" "NIST P-384" "NIST P-521" "secp256k1")
for i in "${!curves[@]}"; do
	cp "$KEYS/${curves[$i]}.asc" "$C/keys/holder-$i${curves[$i]}.asc"
done
cp "$KEYS/operator.asc" "$C/keys/operator-olga.asc"
n=$((${#curves[@]} + 1))

ui_start env TERM=xterm-256color "$CONCLAVE" ui --state "$C/state" \
    --exchange "$C/x" --keys "$C/keys"
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Enter
ui_wait "${#curves[@]} holders, 1 operator" >/dev/null && ui_keys Enter
ui_wait "How many of them are needed" 30 >/dev/null && ui_keys Enter
for i in "${!curves[@]}"; do
	ui_step "Key $((i + 1)) of $n" "fpr-${curves[$i]}"
	check_output "${curves[$i]}: the ECDH warning names ${names[$i]}" \
	    "ECDH \\(${names[$i]}\\) encryption key" joined ui_screen
	ui_keys y
done
ui_step "Key $n of $n" fpr-operator
check_output "the operator's Cv25519 key: Curve25519" \
    'ECDH \(Curve25519\) encryption key' joined ui_screen
ui_check_screens curves
finish
