#!/usr/bin/env bash
# --sticks auto without --exchange: the exchange stick by the appliance
# itself, through an init ceremony in the guided UI against a real OpenBao
# and the real bridge. The exchange stick (holding the roster's public
# keys) and the holders' sticks are real file systems made by mkfs (vfat,
# or ext4 where the kernel has no vfat: said in the output) on loop
# devices, really mounted; only their being on USB is faked (a sysfs tree
# of our own, --sysfs: putting a stick in is linking it there).
#
# The bridge runs as in a room, on its own folder (the operator's
# workstation, $C/x); carrying the stick over is this script mounting the
# stick, copying the appliance's new envelopes into that folder, and
# copying the bridge's answer back onto the stick (a temp name renamed,
# as the bridge writes), then unmounting it: the appliance sees the stick
# come back with the answer on it.
#
# Checked: the exchange stick is mounted read-write, nodev, nosuid,
# noexec on --exchange-mount only once it is the right stick; it is synced
# and unmounted (the mount point gone) before the screen says to take it to
# the bridge, and again at the end. Refused plainly, left unmounted and
# byte for byte unchanged: a holder's stick offered as the exchange stick,
# a blank stick, a write-protected one, another ceremony's exchange stick
# and a stick with the same label as the exchange stick but without this
# ceremony's folder; the last two on the transcript once each. A stick
# pulled while mounted is said so, and taken back. A second conclave ui
# on the same sticks (another console) waits until the first is left. The status page
# (Ctrl-A) shows the airgap facts and refuses to power off here. A stick with no
# partition table (the file system on the whole disk) is the normal case
# here; one with a partition table is tests/unit/test_stick.c's.
# Needs root and loop devices: without them it fails (CI runs as root).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

usb_bus
bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
C=$T_TMP/c
MNT=$T_TMP/stick
XM=$T_TMP/exchange
M=$T_TMP/m
mkdir -p "$C/x" "$M"
xmounted() { findmnt -n -o OPTIONS --mountpoint "$XM"; }
PASS=$(cat "$PASSFILE")

roster_keys "$T_TMP" 2
usb_stick xchg exchange
usb_fill xchg "$T_TMP"/keys/*.asc
usb_stick alice alice
usb_fill alice "$KEYS/holder1.sec.asc"
usb_stick bob bob
usb_fill bob "$KEYS/holder2.sec.asc"
usb_stick blank blank
dd if=/dev/zero of="$T_TMP/blank.img" bs=1M count=16 conv=notrunc status=none
usb_stick wp exchange ro
# Another ceremony's exchange stick, and one labelled as ours but empty.
usb_stick other exchange
mkdir -p "$T_TMP/0123456789abcdef0123456789abcdef"
usb_fill other "$T_TMP/0123456789abcdef0123456789abcdef"
usb_stick twin exchange
declare -A before
for n in alice blank wp other twin; do before[$n]=$(usb_sum "$n"); done

# to_bridge: the operator carries the stick over (the appliance's new
# envelopes into the bridge's folder); from_bridge: and back (the bridge's
# new envelopes onto the stick, each under a temp name renamed).
to_bridge() {
	local f id
	mount -o ro "${USB_DEV[xchg]}" "$M" || return 1
	for f in "$M"/[0-9a-f]*/[0-9]*.env; do
		id=$(basename "$(dirname "$f")")
		mkdir -p "$C/x/$id"
		[ -e "$C/x/$id/${f##*/}" ] && continue
		cp "$f" "$C/x/$id/.${f##*/}.tmp" && mv "$C/x/$id/.${f##*/}.tmp" "$C/x/$id/${f##*/}"
	done
	umount "$M"
}
from_bridge() {
	local f id
	mount "${USB_DEV[xchg]}" "$M" || return 1
	for f in "$C"/x/*/[0-9]*.env; do
		id=$(basename "$(dirname "$f")")
		[ -e "$M/$id/${f##*/}" ] && continue
		cp "$f" "$M/$id/.${f##*/}.tmp" && mv "$M/$id/.${f##*/}.tmp" "$M/$id/${f##*/}"
	done
	sync; umount "$M"
}

ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --sticks auto \
    --sysfs "$SYS" --stick-mount "$MNT" --exchange-mount "$XM" --rehearsal
ui_step "Which ceremony is this?" start
# A second conclave ui handling the same sticks (the image's other
# console): both would mount the stick put in, the second refused by the
# kernel (EBUSY). It says so and waits, drawing nothing, until the first
# is left (checked at the end).
uitmux new-window -d -t ui -n second "$(printf '%q ' env TERM=linux "$CONCLAVE" \
    --state "$T_TMP/state2" --sticks auto --sysfs "$SYS" --stick-mount "$MNT" \
    --exchange-mount "$T_TMP/x2" --rehearsal)"
second() { uitmux capture-pane -p -t ui:second; }
sleep 1
check_output "a second one on these sticks says it waits for the first" \
    '^The ceremony is running on another console of this machine' second
# The status page (Ctrl-A): the airgap as this kernel sees it, plain lines.
ui_keys C-a
ui_wait "appliance: Enter goes back" >/dev/null
check "the status page lists the network interfaces" ui_wait "airgap: interfaces: "
check_output "and the time of the first screen" 'boot: uptimes \(s\): \(not booted from the image\) first-screen [0-9]+\.[0-9]+' ui_screen
ui_type p; ui_keys Enter
check "power off is refused away from the appliance (not started by init)" \
    ui_wait "Power off is for the appliance, where init started conclave ui."
# Before the ceremony: the sticks that are not the exchange stick.
usb_insert alice
ui_step "This is a holder's stick (a key or share file is on it)" holder-refused
usb_pull alice
check_output "the holder's stick is byte for byte as it was" "^${before[alice]}\$" usb_sum alice
usb_insert blank
ui_step "No vfat, exFAT or ext4 file system on this stick" blank-refused
usb_pull blank
usb_insert wp
ui_step "The stick is write-protected (CK_ERR_READ_ONLY)" wp-refused
usb_pull wp
check "none of them is left mounted" sh -c "! findmnt --mountpoint '$XM' >/dev/null"
check "the mount point is not left behind" test ! -e "$XM"
usb_insert xchg
ui_step "Exchange stick in, mounted read-write" exchange-in
check_output "the exchange stick is mounted read-write, nodev, nosuid, noexec" \
    '^rw,nosuid,nodev,noexec' xmounted
# Pulled while mounted: said, and taken back when it returns.
usb_pull xchg
ui_step "The exchange stick was pulled before it was unmounted" pulled
check "it is unmounted" sh -c "! findmnt --mountpoint '$XM' >/dev/null"
usb_insert xchg
ui_wait "Exchange stick in, mounted read-write" >/dev/null
ui_keys Enter
ui_step "2 holders, 1 operator, 1 witnesses" roster
ui_keys Enter
ui_wait "How many of them are needed" >/dev/null && ui_keys Enter
for k in 1 2 3 4; do ui_wait "Key $k of 4" >/dev/null && ui_keys y; done
ui_wait "Begin the init ceremony? Type y to begin." >/dev/null && ui_keys y
ui_wait "Ceremony key" >/dev/null && words=$(ui_key_words) && ui_keys Enter
ui_step "remove it now and take it to the bridge" exchange-out
check "the exchange stick is unmounted before it crosses" \
    sh -c "! findmnt --mountpoint '$XM' >/dev/null && test ! -e '$XM'"
usb_pull xchg
ui_step "Bring the exchange stick back" exchange-away
check "the operator's workstation reads the request off the stick" to_bridge
check "bridge init answers the request" bridge_init_start "$C" "$(bao_addr s1)" "$words"
check "the answer goes onto the stick" from_bridge
# The wrong sticks coming back.
usb_insert other
ui_step "This is the exchange stick of another ceremony (01234567...)" other-refused
usb_pull other
usb_insert twin
ui_step "This is not this ceremony's exchange stick" twin-refused
usb_pull twin
check "neither is left mounted" sh -c "! findmnt --mountpoint '$XM' >/dev/null"
usb_insert xchg
ui_step "Init result accepted." accepted 60
check_output "back, it is mounted read-write again" '^rw,nosuid,nodev,noexec' xmounted
ui_keys Enter
n=0
for h in alice bob; do
	n=$((n + 1))
	ui_wait "Is $h at the appliance?" >/dev/null && ui_keys y
	ui_wait "Insert your stick now." >/dev/null
	usb_insert "$h"
	ui_wait "passphrase of your key file" >/dev/null
	ui_type "$PASS"; ui_keys Enter
	ui_wait "is on $h's stick and proven" 60 >/dev/null
	usb_pull "$h"
	ui_keys Enter
done
ui_step "Waiting for the closing result" closing
ui_wait "remove it now and take it to the bridge" >/dev/null
check "unmounted again before it crosses" sh -c "! findmnt --mountpoint '$XM' >/dev/null"
usb_pull xchg
shares=()
for k in 1 2; do
	h=$([ "$k" = 1 ] && echo alice || echo bob)
	mount -o ro "${USB_DEV[$h]}" "$M"
	shares+=("$(gpg_decrypt_as "holder$k" "$KEYS/holder$k.sec.asc" <"$(ls "$M"/conclave-*-share-*.gpg)")")
	umount "$M"
done
check "the two shares unseal the server" bao_unseal s1 "${shares[0]}" "${shares[1]}"
check "the operator's workstation reads the close off the stick" to_bridge
check "bridge revokes the root token" bridge_init_finish "$C" "$(operator_root_token "$C")"
check "its proof goes onto the stick" from_bridge
usb_insert xchg
ui_review walt
ui_step "Ceremony closed. The initial root token is revoked." summary 60
ui_wait "The exchange stick is unmounted: remove it now." >/dev/null
check "at the end it is synced and unmounted" sh -c "! findmnt --mountpoint '$XM' >/dev/null"
usb_pull xchg

# --- the archive, the closing step: bad sticks first, then the archive stick ---
usb_stick arch archive
usb_stick full archive
mount "${USB_DEV[full]}" "$M" && { dd if=/dev/zero of="$M/filler" bs=64k 2>/dev/null
	dd if=/dev/zero of="$M/filler2" bs=1k 2>/dev/null; sync; umount "$M"; }
usb_stick wparch archive ro
before[bob]=$(usb_sum bob); before[wparch]=$(usb_sum wparch)
ui_keys q
ui_step "The transcript is not archived yet" not-archived
ui_keys a
ui_step "Insert the archive stick now." archive-insert
usb_insert bob
ui_step "This is a holder's stick" archive-holder-refused
usb_pull bob
usb_insert wparch
ui_step "The stick is write-protected (CK_ERR_READ_ONLY)" archive-wp-refused
usb_pull wparch
usb_insert full
ui_step "The archive stick is full" archive-full 60
check "the full stick is unmounted" sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
usb_pull full
mount -o ro "${USB_DEV[full]}" "$M"
check_output "nothing torn and no temp file on the full stick" '^$' \
    sh -c "find '$M' -name '*.tmp'; for f in \$(find '$M/conclave-archive' -type f 2>/dev/null); do cmp -s \"\$f\" '$C/state/'\"\${f##*/}\" || echo \"\$f\"; done"
umount "$M"
usb_insert arch
ui_step "Archived and verified on the archive stick" archived 60
check "the archive stick is unmounted before it may be removed" \
    sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
usb_pull arch
for n in bob wparch; do
	check_output "the refused $n stick is byte for byte as it was" "^${before[$n]}\$" usb_sum "$n"
done
mount -o ro "${USB_DEV[arch]}" "$M"
A=$(ls -d "$M"/conclave-archive/*/)
check_output "the archive folder is named by the ceremony" "/conclave-archive/$(ls "$C/x")/\$" echo "$A"
check_output "conclave verify checks the copy on the stick" '^OK' \
    "$CONCLAVE" verify "$A/transcript.jsonl" --pubkey "$C/state/transcript.jsonl.pub"
check "stock minisign checks it too" minisign -Vm "$A/transcript.jsonl" -p "$A/transcript.jsonl.pub"
umount "$M"
ui_keys Enter
ui_step "archived and verified there" summary-archived
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"
for _ in $(seq 50); do second | grep -q "Which ceremony is this?" && break; sleep 0.1; done
check_output "the second one starts once the first is left" 'Which ceremony is this\?' second

for n in blank wp other twin; do
	check_output "the $n stick is byte for byte as it was" "^${before[$n]}\$" usb_sum "$n"
done
check_output "another ceremony's stick and the twin are each on the record once" '^2$' \
    sh -c "grep -c '\"what\":\"exchange-stick\"' '$C/state/transcript.jsonl'"
mount -o ro "${USB_DEV[xchg]}" "$M"
check_output "the exchange stick holds the whole ceremony, no temp file" '^0$' \
    sh -c "ls -A '$M'/*/ | grep -c '\\.tmp\$'"
check "and the same envelopes as the bridge's folder" diff -r "$M/$(ls "$C/x")" "$C/x/$(ls "$C/x")"
umount "$M"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- conclave archive, the same step on the command line (folders) ---
mkdir "$T_TMP/arch"
check_output "conclave archive copies and verifies the copy" '^OK conclave-archive/[0-9a-f]{32}/transcript.jsonl: ' \
    "$CONCLAVE" archive --state "$C/state" --to "$T_TMP/arch"
check_output "archiving again keeps the same copy" '^archived: .* \(3 files\)' \
    "$CONCLAVE" archive --state "$C/state" --to "$T_TMP/arch"
cp -r "$C/state" "$T_TMP/bad"
sed -i '3s/"time":"[^"]*"/"time":"2000-01-01T00:00:00Z"/' "$T_TMP/bad/transcript.jsonl"
check "(a record's time is changed)" sh -c "! cmp -s '$T_TMP/bad/transcript.jsonl' '$C/state/transcript.jsonl'"
mkdir "$T_TMP/arch2"
check_output "a transcript that does not verify is not archived" 'not archived: the state folder: transcript.jsonl' \
    sh -c "'$CONCLAVE' archive --state '$T_TMP/bad' --to '$T_TMP/arch2' 2>&1; echo \"exit \$?\""
check_output "and nothing is written" '^$' ls -A "$T_TMP/arch2"
id=$(ls "$C/x")
echo "someone else's key" >"$T_TMP/arch/conclave-archive/$id/transcript.jsonl.pub"
check_output "a copy there with other bytes is refused and left" 'transcript.jsonl.pub is there already with other bytes \[CK_ERR_EXISTS\]' \
    sh -c "'$CONCLAVE' archive --state '$C/state' --to '$T_TMP/arch' 2>&1"
check_output "left as it was" "^someone else's key\$" cat "$T_TMP/arch/conclave-archive/$id/transcript.jsonl.pub"
ui_no_secrets "${shares[@]}" "$PASS"
ui_check_screens exchange-auto
finish
