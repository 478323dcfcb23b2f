#!/usr/bin/env bash
# --sticks auto, the sticks the appliance refuses: the init ceremony through
# the UI against a real OpenBao and the real bridge, each holder's share
# written to their real stick (tests/ui/sticks_auto.sh covers the unseal). Each stick is a loop device with a file system made by mkfs
# (vfat, or ext4 where the kernel has no vfat: said in the output), holding
# the holder's key file; only its being on USB is faked, by a sysfs tree
# (--sysfs) whose block/ entries name the real /dev/loopN: putting a stick
# in is adding its link, pulling it out removing it. The mount options are
# read back from the kernel (findmnt): read-write for the share, nodev,
# nosuid, noexec; none left once the screen says to remove it. A blank
# stick and a write-protected one are refused, on the screen and once each
# on the transcript, and their bytes are unchanged. A full stick gets the
# handout's "no space left" and no share file; freed, it takes the share. Stock gpg opens each
# share from its stick and two of them unseal the server.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

if [ "$(id -u)" != 0 ] || [ ! -w /dev/loop-control ] ||
    ! command -v losetup mkfs.ext4 >/dev/null 2>&1; then
	fail "root, /dev/loop-control, losetup, mkfs.ext4 (real mounts need them)"
	finish
fi
fs=ext4
grep -qw vfat /proc/filesystems && command -v mkfs.vfat >/dev/null && fs=vfat
[ "$fs" = vfat ] || echo "# this kernel has no vfat: the sticks are ext4"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
C=$T_TMP/c
SYS=$C/sys
MNT=$T_TMP/stick
mkdir -p "$C/keys" "$C/x" "$C/sticks/walt" "$C/img/m" "$SYS/block"
names=(alice bob carol)

# stick_make NAME [FILE]: an 8 MiB image with a filesystem labelled NAME
# (FILE copied onto it), attached; prints the device (it runs in a command
# substitution: the caller registers the detach).
stick_make() {
	local img=$C/img/$1.img dev m=$C/img/m
	truncate -s 8M "$img"
	if [ "$fs" = vfat ]; then mkfs.vfat -n "$1" "$img" >/dev/null
	else mkfs.ext4 -q -F -m 0 -L "$1" "$img"; fi
	if [ -n "${2:-}" ]; then
		mkdir -p "$m" && mount -o loop "$img" "$m" && cp "$2" "$m/" &&
		    umount "$m"
	fi
	dev=$(losetup -f --show "$img") || return 1
	echo "$dev"
}
stick_in() { usb_stick_in "$SYS" "$1"; }
stick_out() { usb_stick_out "$SYS" "$1"; }
stick_mount_opts() { findmnt -n -o OPTIONS --mountpoint "$MNT" | sed 's/.*/,&,/'; }
on_exit "umount '$MNT' 2>/dev/null"

roster_keys "$C"
declare -A dev
for k in 1 2 3; do
	n=${names[$k - 1]}
	dev[$n]=$(stick_make "$n" "$KEYS/holder$k.sec.asc") ||
	    { fail "$n's stick is made"; finish; }
	on_exit "losetup -d ${dev[$n]} 2>/dev/null"
done
blank=$C/img/blank.img
truncate -s 8M "$blank"
dev[blank]=$(losetup -f --show "$blank") && on_exit "losetup -d ${dev[blank]} 2>/dev/null"
stick_make wp >/dev/null
losetup -d "$(losetup -j "$C/img/wp.img" -O NAME -n)"
dev[wp]=$(losetup -r -f --show "$C/img/wp.img") && on_exit "losetup -d ${dev[wp]} 2>/dev/null"
PASS=$(cat "$PASSFILE")
blank_sum=$(sha256sum <"$blank")
wp_sum=$(sha256sum <"$C/img/wp.img")

ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --keys "$C/keys" --sticks auto --sysfs "$SYS" --stick-mount "$MNT" \
    --rehearsal
ui_step "Which ceremony is this?" start
ui_keys Enter
ui_step "3 holders, 1 operator, 1 witnesses" roster
ui_keys Enter
ui_step "How many of them are needed" quorum
ui_keys BSpace; ui_type 2; ui_keys Enter
for k in 1 2 3 4 5; do ui_wait "Key $k of 5" >/dev/null; ui_keys y; done
ui_step "Begin the init ceremony? Type y to begin." begin-confirm
ui_keys y
ui_step "Ceremony key" begun
check "bridge init answers it and waits for the root token" \
    bridge_init_start "$C" "$(bao_addr s1)" "$(ui_key_words)"
ui_keys Enter
ui_step "Init result accepted." accepted
ui_keys Enter
for k in 1 2 3; do
	n=${names[$k - 1]}
	ui_step "Is $n at the appliance?" "$n-ask"
	ui_keys y
	ui_step "Insert your stick now." "$n-insert"
	if [ "$k" = 1 ]; then
		stick_in "${dev[blank]}"
		ui_step "No vfat, exFAT or ext4 file system on this stick" blank-refused
		stick_out "${dev[blank]}"
		stick_in "${dev[wp]}"
		ui_step "The stick is write-protected (CK_ERR_READ_ONLY)" wp-refused
		check_output "the write-protected stick is not left mounted" '^$' stick_mount_opts
		stick_out "${dev[wp]}"
	fi
	if [ "$k" = 2 ]; then
		stick_in "${dev[blank]}"; stick_in "${dev[wp]}"
		ui_step "Two sticks came in at once (CK_ERR_STATE)" two-refused
		check_output "neither of two sticks at once is mounted" '^$' stick_mount_opts
		stick_out "${dev[blank]}"; stick_out "${dev[wp]}"
	fi
	if [ "$k" = 3 ]; then
		# A full stick: the handout says so and leaves no share file.
		mount "${dev[$n]}" "$C/img/m" &&
		    { dd if=/dev/zero of="$C/img/m/filler" bs=64k 2>/dev/null
		      dd if=/dev/zero of="$C/img/m/filler2" bs=1k 2>/dev/null
		      sync; umount "$C/img/m"; }
		stick_in "${dev[$n]}"
		ui_wait "passphrase of your key file" >/dev/null
		ui_type "$PASS"; ui_keys Enter
		ui_step "no space left on the medium" full-refused 60
		check "after the refusal it waits for the stick again" ui_wait "Insert your stick now."
		check_output "the full stick is unmounted" '^$' stick_mount_opts
		stick_out "${dev[$n]}"
		sleep 1	# out for longer than a poll, as a hand takes
		mount "${dev[$n]}" "$C/img/m"
		check_output "no share file and no temp file is left on the full stick" '^filler filler2 $' \
		    sh -c "ls -A '$C/img/m' | grep -v '^lost+found$' | grep -v '\\.sec\\.asc$' | tr '\\n' ' '"
		rm -f "$C/img/m/filler" "$C/img/m/filler2"
		umount "$C/img/m"
	fi
	stick_in "${dev[$n]}"
	ui_step "Rehears Stick \"$n\", 8 MB, mounted read-write" "$n-stick"
	check_output "$n's stick is mounted read-write, nodev, nosuid, noexec" \
	    '^,rw,nosuid,nodev,noexec,' stick_mount_opts
	ui_wait "passphrase of your key file" >/dev/null
	ui_type "$PASS"; ui_keys Enter
	ui_step "is on $n's stick and proven" "$n-done" 60
	check "the screen says to remove it" grep -q "remove it now" "$UI_SNAPS/$(printf %02d $UI_NSNAP)-$n-done.txt"
	check_output "$n's stick is synced and unmounted by then" '^$' stick_mount_opts
	stick_out "${dev[$n]}"
	ui_keys Enter
done
check_output "the blank stick is unchanged" "$blank_sum" sh -c "sha256sum <'$blank'"
check_output "the write-protected stick is unchanged" "$wp_sum" sh -c "sha256sum <'$C/img/wp.img'"
check_output "each refused stick is on the record once (blank, write-protected, two at once)" '^3$' \
    sh -c "grep -c '\"what\":\"stick\"' '$C/state/transcript.jsonl'"
ui_step "Waiting for the closing result" closing
# Shares: what gpg gives each holder from their (real) stick.
shares=()
mkdir -p "$C/img/m"
for k in 1 2 3; do
	n=${names[$k - 1]}
	mount -o ro "${dev[$n]}" "$C/img/m"
	s=$(gpg_decrypt_as "holder$k" "$KEYS/holder$k.sec.asc" <"$(ls "$C"/img/m/*.gpg | head -n 1)")
	umount "$C/img/m"
	shares+=("$s")
	check_output "stock gpg opens $n's share from their stick" '^[0-9a-f]{66}$' echo "$s"
done
check "bob's and carol's shares unseal the server" bao_unseal s1 "${shares[1]}" "${shares[2]}"
check "bridge revokes the root token" bridge_init_finish "$C" "$(operator_root_token "$C")"
ui_review walt review
ui_step "Ceremony closed. The initial root token is revoked." summary
ui_keys q
ui_wait "The transcript is not archived yet" >/dev/null && ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
finish
