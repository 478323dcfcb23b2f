#!/usr/bin/env bash
# --sticks auto: the holders' sticks by the appliance itself, through the
# guided UI against a real OpenBao and the real bridge: an init whose
# handouts write each share to the holder's stick (mounted read-write for
# that), then, after a restart, an unseal that reads the shares back from
# the same sticks (mounted read-only). Each
# stick is a real vfat file system (mkfs.vfat) on a loop device, or ext4
# where the kernel has no vfat (said in the output: the QEMU image test
# mounts vfat), both among the types stick_mount tries; the USB
# bus cannot be had outside QEMU, so the sysfs the UI scans (--sysfs) is a
# tree of our own in which the loop device hangs off a USB host, and
# "inserting" a stick is linking it in, "pulling" it unlinking it. The
# mount is real: read-only, nodev, nosuid, noexec; synced and unmounted
# before the screen says to remove the stick; the stick's bytes unchanged.
# A stick that was in already when the holder's turn began (the last
# holder's, or the wrong one) does not count until it is put in again.
# A write-protected stick offered for a handout is refused plainly and left
# unmounted and unchanged.
# Needs root and loop devices: without them it fails (CI runs as root).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

usb_bus
bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
C=$T_TMP/c
MNT=$T_TMP/stick
mkdir -p "$C/x" "$T_TMP/fill"
names=(alice bob)
for k in 1 2; do
	n=${names[$k - 1]}
	usb_stick "$n" "$n" && usb_fill "$n" "$KEYS/holder$k.sec.asc" ||
	    { fail "$n's stick is made"; finish; }
done
mounted() { findmnt -n -o OPTIONS --mountpoint "$MNT"; }
PASS=$(cat "$PASSFILE")

roster_keys "$C" 2
I=$T_TMP/i
mkdir -p "$I/x"

# --- init: each share written to its holder's stick, mounted read-write ---
ui_start env TERM=linux "$CONCLAVE" --state "$I/state" --exchange "$I/x" --keys "$C/keys" \
    --sticks auto --sysfs "$SYS" --stick-mount "$MNT" --rehearsal
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Enter
ui_wait "2 holders, 1 operator, 1 witnesses" >/dev/null && ui_keys Enter
ui_wait "How many of them are needed" >/dev/null && ui_keys Enter
for k in 1 2 3 4; do ui_wait "Key $k of 4" >/dev/null && ui_keys y; done
ui_wait "Begin the init ceremony? Type y to begin." >/dev/null && ui_keys y
ui_wait "Ceremony key" >/dev/null
check "bridge init answers the request" bridge_init_start "$I" "$(bao_addr s1)" "$(ui_key_words)"
ui_keys Enter
ui_wait "Init result accepted." 60 >/dev/null && ui_keys Enter
# A write-protected stick (a read-only loop device) for alice's handout:
# refused plainly, nothing mounted, nothing written; then her own.
usb_stick ro ro ro
before_ro=$(usb_sum ro)
for n in alice bob; do
	ui_wait "Is $n at the appliance?" >/dev/null && ui_keys y
	ui_step "Insert your stick now." "handout-$n-insert"
	if [ "$n" = alice ]; then
		usb_insert ro
		ui_step "The stick is write-protected (CK_ERR_READ_ONLY)" handout-alice-write-protected
		check "the write-protected stick is not left mounted" \
		    sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
		check_output "and is byte for byte as it was" "^$before_ro\$" usb_sum ro
		usb_pull ro
	fi
	usb_insert "$n"
	ui_step "passphrase of your key file" "handout-$n-pass"
	if [ "$n" = alice ]; then
		check_output "the handout mounts it read-write, nodev, nosuid, noexec" \
		    '^rw,nosuid,nodev,noexec' mounted
	fi
	ui_type "$PASS"; ui_keys Enter
	ui_step "is on $n's stick and proven" "handout-$n-done" 60
	check "$n's stick is unmounted before it may be removed" \
	    sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
	usb_pull "$n"
	ui_keys Enter
done
ui_wait "Waiting for the closing result" >/dev/null
# What stock gpg reads from each stick (mounted here, read-only).
shares=()
for k in 1 2; do
	n=${names[$k - 1]}
	mount -o ro "${USB_DEV[$n]}" "$T_TMP/fill"
	shares+=("$(gpg_decrypt_as "holder$k" "$KEYS/holder$k.sec.asc" <"$(ls "$T_TMP"/fill/conclave-*-share-*.gpg)")")
	umount "$T_TMP/fill"
	check_output "stock gpg opens the share the handout wrote to $n's stick" \
	    '^[0-9a-f]{66}$' echo "${shares[$k - 1]}"
done
check "the two shares from the sticks unseal the server" bao_unseal s1 "${shares[0]}" "${shares[1]}"
check "bridge revokes the root token" bridge_init_finish "$I" "$(operator_root_token "$I")"
ui_review walt
check "the init closes" ui_wait "Ceremony closed. The initial root token is revoked."
ui_keys q
ui_wait "The transcript is not archived yet" >/dev/null && ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null
check_output "the init transcript verifies" '^OK' "$CONCLAVE" verify "$I/state/transcript.jsonl"
ui_stop

# --- unseal after a restart: the shares read back, the sticks mounted read-only ---
check "the server restarts sealed" bao_restart s1
before_alice=$(usb_sum alice); before_bob=$(usb_sum bob)
ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --sticks auto --sysfs "$SYS" --stick-mount "$MNT" --rehearsal
ui_step "Which ceremony is this?" start
ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." begin
ui_keys y
ui_step "Ceremony key" begun
check "bridge unseal offers a session" quorum_bridge_start "$C" unseal \
    --exchange "$C/x" --address "$(bao_addr s1)" --wait 120
ui_keys Enter
ui_step "The bridge's words:" sas
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$C")"; ui_keys Enter

ui_step "Next holder, your name:" alice-name
ui_type alice; ui_keys Enter
# alice's stick is in before her turn begins: it does not count yet.
usb_insert alice
ui_wait "Is alice at the appliance?" >/dev/null && ui_keys y
ui_step "Waiting for alice's stick..." alice-insert
sleep 1
check "a stick that was in already is not taken" sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
usb_pull alice; sleep 1; usb_insert alice
ui_step "passphrase of your key file" alice-pass
check_output "put in again, it is mounted read-only, nodev, nosuid, noexec" \
    '^ro,nosuid,nodev,noexec' mounted
check_output "the status line names the stick and its file system label" "Stick ${USB_DEV[alice]} Rehears Stick alice \"(ALICE|alice)\", 16 MB" ui_screen
ui_type "$PASS"; ui_keys Enter
ui_step "alice's share is sealed to the bridge session." alice-done 60
check_output "the screen says to remove it only once it is unmounted" \
    "unmounted: remove it now" ui_screen
check "it is unmounted" sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
check_output "the loop device is writable again (the ro flag was ours)" '^0$' \
    blockdev --getro "${USB_DEV[alice]}"
ui_keys Enter
usb_pull alice

ui_step "Next holder, your name:" bob-name
ui_type bob; ui_keys Enter
ui_wait "Is bob at the appliance?" >/dev/null && ui_keys y
ui_wait "Waiting for bob's stick..." >/dev/null
usb_insert bob
ui_step "passphrase of your key file" bob-pass
# With the stick taken by the appliance, the passphrase field has the keys
# too: a '?' in it is text, not the help screen (it was help).
ui_type '?'
sleep 1
check_fails "a '?' typed into the passphrase does not open the help" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'Each holder in turn'"
ui_keys C-u
ui_type "$PASS"; ui_keys Enter
ui_step "bob's share is sealed to the bridge session." bob-done 60
ui_keys Enter
usb_pull bob
ui_step "Submit the shares? Type y." submit
ui_keys y
ui_review walt
ui_step "Ceremony closed. Every node is unsealed." summary 60
ui_keys q
ui_wait "The transcript is not archived yet" >/dev/null && ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check_output "the server is unsealed" '^false$' seal_field s1 .sealed
check_output "alice's stick is byte for byte as it was" "^$before_alice\$" usb_sum alice
check_output "bob's stick is byte for byte as it was" "^$before_bob\$" usb_sum bob
check "nothing is left mounted" sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
ui_no_secrets "${shares[@]}" "$PASS"
ui_check_screens sticks-auto
finish
