# Driving the guided UI in tmux for shell tests. Source after tests/lib.sh.
#
#   ui_start CMD...        the UI in a detached 80x24 tmux pane on a private
#                          tmux server (killed on exit); the pane stays after
#                          CMD ends and shows "[ui exited RC]"
#   ui_stop                end that tmux server, waiting until it is gone
#   ui_screen              the pane's text now
#   ui_wait TEXT [SECS]    poll the pane (every 0.1 s) until TEXT shows, up to
#                          SECS (default 30); on timeout print the screen
#   ui_keys KEY...         tmux send-keys (Enter, Escape, C-e, y ...)
#   ui_type TEXT           literal text
#   ui_snap NAME           keep the screen as $UI_SNAPS/NN-NAME.txt
#   ui_fits FILE           at most 24 lines of at most 80 columns, and no
#                          line cut by the UI's overflow mark
#   ui_film NAME OUT       film a stream of QR codes the pane shows until
#                          the envelope it carries is rebuilt into OUT
# UI_TARGET names the pane (session:window.pane); scripts/demo's panes can
# be driven by setting it and UI_SOCKET.
UI_SOCKET=${UI_SOCKET:-conclave-test-$$}
UI_TARGET=${UI_TARGET:-ui}
UI_SNAPS=$T_TMP/screens
UI_NSNAP=0
mkdir -p "$UI_SNAPS"

uitmux() { tmux -L "$UI_SOCKET" "$@"; }

ui_start() {
	local cmd q=""
	for cmd in "$@"; do q+=" $(printf '%q' "$cmd")"; done
	uitmux -f /dev/null new-session -d -s ui -x 80 -y 24 \
	    "$q; echo \"[ui exited \$?]\"; sleep 600" || return 1
	on_exit "tmux -L '$UI_SOCKET' kill-server 2>/dev/null"
}

# ui_stop: end the UI's tmux server and wait until its process is gone. A
# ui_start right after a bare kill-server can meet the dying server ("server
# exited unexpectedly") and start nothing.
ui_stop() {
	local pid i
	pid=$(uitmux display -p '#{pid}' 2>/dev/null)
	uitmux kill-server 2>/dev/null
	for ((i = 0; i < 100 && ${pid:-0} > 0; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
}

ui_screen() { uitmux capture-pane -p -t "$UI_TARGET"; }

ui_wait() {
	local text=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		ui_screen | grep -qF -- "$text" && return 0
		sleep 0.1
	done
	echo "    timed out waiting for '$text'; the screen:"
	ui_screen | sed 's/^/    | /'
	return 1
}

ui_keys() { uitmux send-keys -t "$UI_TARGET" "$@"; }
ui_type() { uitmux send-keys -t "$UI_TARGET" -l "$1"; }

ui_snap() {
	UI_NSNAP=$((UI_NSNAP + 1))
	ui_screen >"$UI_SNAPS/$(printf '%02d' "$UI_NSNAP")-$1.txt"
}

# ui_key_words: the ceremony key's words on the screen (the lines under
# "Ceremony key" up to the blank line), as the room reads them to the bridge.
ui_key_words() {
	ui_screen | sed -n '/Ceremony key/,/^ *$/p' | sed '1d' | tr -s ' \n' '  ' |
	    sed 's/^ *//; s/ *$//'
}

# The UI marks a line it had to cut with '>' in reverse video in column 80;
# capture-pane shows it as a full 80-column line ending in '>'.
ui_fits() {
	local f=$1
	[ "$(wc -l <"$f")" -le 24 ] || { echo "    $f: more than 24 lines"; return 1; }
	[ "$(wc -L <"$f")" -le 80 ] || { echo "    $f: wider than 80 columns"; return 1; }
	if grep -qE '^.{79}>$' "$f"; then
		echo "    $f: a line was cut:"; grep -E '^.{79}>$' "$f" | sed 's/^/    | /'
		return 1
	fi
}

# ui_film NAME OUT: film the QR stream the pane shows (the UI's c, whose
# hint line says k=N, or conclave-bridge --qr-show, "code n of N,"): the
# pane's text as fast as tmux hands it out for twice the stream's length
# (codes drawn while captured are torn, and a capture between two codes
# sees one twice), rasterised (tests/tools/qr_text2png) into
# $T_TMP/png-NAME, until conclave qr-decode rebuilds the envelope into OUT
# (at most four rounds: a loaded machine draws fewer codes).
ui_film() {
	local t2p=$BUILD/tests/tools/qr_text2png k n=0 try end
	[ -x "$t2p" ] || make -s -C "$TOP" BUILD="$BUILD" "$t2p" >/dev/null
	k=$(ui_screen | sed -n 's/.* k=\([0-9]*\) .*/\1/p; s/.*code [0-9]* of \([0-9]*\),.*/\1/p' |
	    tail -n 1)
	rm -rf "$T_TMP/frames-$1"; mkdir -p "$T_TMP/frames-$1"
	for try in 1 2 3 4; do
		end=$((SECONDS + 2 * ${k:-1} / 12 + 3))
		while [ $SECONDS -lt $end ]; do
			ui_screen >"$T_TMP/frames-$1/f$(printf %05d $n)"
			n=$((n + 1))
		done
		rm -rf "$T_TMP/png-$1"
		"$t2p" "$T_TMP/png-$1" "$T_TMP/frames-$1"/f* >/dev/null 2>&1
		"$CONCLAVE" qr-decode --out "$2" "$T_TMP/png-$1"/*.png \
		    >"$T_TMP/decode-$1.out" 2>&1 && return 0
	done
	cat "$T_TMP/decode-$1.out"
	return 1
}

# ui_step TEXT NAME [SECS]: wait for TEXT, keep the screen as NAME; a
# missing screen ends the test (the rest would only time out).
ui_step() {
	if ui_wait "$1" "${3:-30}"; then ok "screen: $2"; ui_snap "$2"
	else fail "screen: $2 (waiting for '$1')"; finish; fi
}

# ui_review WITNESS [SNAP] [SECS]: the witnesses' review that ends every
# completed ceremony, after its irreversible steps and before the
# transcript closes: WITNESS (named by the roster, or typing their name
# where the roster names no witness) confirms, and Enter closes. With SNAP
# the screens are kept as SNAP-name (when asked), SNAP and SNAP-done.
ui_review() {
	local w=$1 snap=${2:-} secs=${3:-60} i
	for ((i = 0; i < secs * 10; i++)); do
		if ui_screen | grep -qF "Witness, your name:"; then
			[ -z "$snap" ] || ui_snap "$snap-name"
			ui_type "$w"; ui_keys Enter
			break
		fi
		ui_screen | grep -qF "$w (witness): does this match" && break
		sleep 0.1
	done
	if [ -n "$snap" ]; then
		ui_step "$w (witness): does this match what you saw?" "$snap"
	else
		ui_wait "$w (witness): does this match what you saw?" >/dev/null || return 1
	fi
	ui_keys y
	if [ -n "$snap" ]; then ui_step "Every witness has answered" "$snap-done"
	else ui_wait "Every witness has answered" >/dev/null || return 1; fi
	ui_keys Enter
}

# ui_quorum_turn NAME PASS [SNAP]: one holder's turn on the quorum screen
# (name, "at the appliance?", the stick folder as offered, the passphrase)
# until their share is sealed to the bridge session; with SNAP the name,
# passphrase and done screens are kept as SNAP-name, SNAP-pass, SNAP-done.
ui_quorum_turn() {
	_turn_at() {	# TEXT SUFFIX [SECS]
		if [ -n "${3:-}" ]; then ui_step "$1" "$3-$2" "${4:-30}"
		else ui_wait "$1" "${4:-30}" >/dev/null; fi
	}
	_turn_at "Next holder, your name:" name "${3:-}"
	ui_type "$1"; ui_keys Enter
	ui_wait "Is $1 at the appliance?" >/dev/null && ui_keys y
	ui_wait "stick (folder):" >/dev/null && ui_keys Enter
	_turn_at "passphrase of your key file" pass "${3:-}"
	ui_type "$2"; ui_keys Enter
	_turn_at "$1's share is sealed to the bridge session." done "${3:-}" 60
	ui_keys Enter
}

# ui_residue NAME SECRET...: none of them (as text, and as bytes where
# one is hex) anywhere in the UI process's memory, read as root through
# /proc/PID/mem by tests/tools/memscan (issue 13); skipped as non-root
# and on an AddressSanitizer build (tests/lib.sh: asan_build).
ui_residue() {
	local name=$1 s i=0 f=$T_TMP/ui-needles; shift
	[ "$(id -u)" = 0 ] && ! asan_build || return 0
	: >"$f"
	for s in "$@"; do
		i=$((i + 1))
		printf 'secret%s str:%s\n' "$i" "$s" >>"$f"
		[[ "$s" =~ ^([0-9a-f]{2})+$ ]] && printf 'secret%s-bytes hex:%s\n' "$i" "$s" >>"$f"
	done
	check_output "$name: no share, no passphrase in the UI's memory" \
	    '^scanned [1-9][0-9]* bytes, 0 found$' "$BUILD/tests/tools/memscan" "$f" \
	    pid "$(ui_pid)"
}

# ui_kill9 WHEN: kill -9 the UI process itself (a crash, a power loss as
# the UI sees it), checked; then ui_stop and a fresh ui_start resume.
ui_kill9() {
	local pid
	pid=$(ui_pid)
	check "the UI runs ($1)" test -n "$pid"
	kill -9 "$pid"
	# gone, not the pane's "[ui exited 137]": where that wraps depends on
	# the column the UI left the cursor in and on the paths in bash's
	# "Killed" line before it
	check "the UI is killed ($1)" ui_gone "$pid"
	ui_stop
}

# ui_gone PID: PID has ended (within 10 s).
ui_gone() {
	local i
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# ui_resume_at WHEN TEXT...: ui_kill9, then the UI again (ui_start with
# the test's UI_CMD array) on the same state folder: the open ceremony's
# screen, kept as resume-WHEN, shows each TEXT; Enter resumes.
ui_resume_at() {
	local when=$1 t
	shift
	ui_kill9 "$when"
	ui_start "${UI_CMD[@]}"
	ui_step "An open ceremony is in the state folder" "resume-$when"
	for t in "$@"; do check "it says '$t' ($when)" ui_wait "$t" 2; done
	ui_keys Enter
}

# ui_pid: the UI's conclave process (the child of the pane's shell).
ui_pid() {
	local pid
	pid=$(pgrep -P "$(uitmux display -p -t "$UI_TARGET" '#{pane_pid}')" -x conclave |
	    head -n 1)
	echo "${pid:-none}"
}

# ui_no_secrets SECRET...: none of them on any kept screen.
ui_no_secrets() {
	local f s leak=0
	for f in "$UI_SNAPS"/*.txt; do
		for s in "$@"; do
			[ -n "$s" ] && grep -qF -- "$s" "$f" && { echo "    secret on $f"; leak=1; }
		done
	done
	check "no share and no passphrase on any of the $UI_NSNAP screens" test "$leak" = 0
}

# ui_check_screens PREFIX: every kept screen fits 80x24, and so does its
# committed copy tests/ui/screens/PREFIX-NN-NAME.txt, which shows the same
# step (same title line). UPDATE_SCREENS=1 refreshes the committed copies.
ui_check_screens() {
	local fix=$TOP/tests/ui/screens f g bad=0
	for f in "$UI_SNAPS"/*.txt; do ui_fits "$f" || bad=1; done
	check "every screen fits 80x24" test "$bad" = 0
	if [ "${UPDATE_SCREENS:-0}" = 1 ]; then
		rm -f "$fix/$1"-*.txt
		for f in "$UI_SNAPS"/*.txt; do cp "$f" "$fix/$1-$(basename "$f")"; done
	fi
	bad=0
	for f in "$UI_SNAPS"/*.txt; do
		g=$fix/$1-$(basename "$f")
		[ -f "$g" ] || { echo "    no fixture $g (UPDATE_SCREENS=1)"; bad=1; continue; }
		ui_fits "$g" || bad=1
		[ "$(sed -n 2p "$f")" = "$(sed -n 2p "$g")" ] || { echo "    $g: another step"; bad=1; }
	done
	check "the committed screens match the steps and fit 80x24" test "$bad" = 0
}

# usb_stick_in SYS DEV [MODEL]: the block device DEV (a loop device with a
# real file system) appears on a USB bus in the sysfs tree SYS that
# `conclave ui --sysfs SYS` scans, with its real size and read-only flag;
# usb_stick_out SYS DEV: it is pulled out. Only the USB bus is faked.
UI_USB=devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0
usb_stick_in() {
	local n=${2#/dev/} d=$1/$UI_USB/block/${2#/dev/}
	mkdir -p "$d"
	cat "/sys/block/$n/size" >"$d/size"
	cat "/sys/block/$n/ro" >"$d/ro"
	echo 1 >"$d/removable"
	echo "Rehears " >"$1/$UI_USB/vendor"
	echo "${3:-Stick}" >"$1/$UI_USB/model"
	ln -sfn ../.. "$d/device"
	ln -sfn "../$UI_USB/block/$n" "$1/block/$n"
}
usb_stick_out() { rm -f "$1/block/${2#/dev/}"; }

# usb_mkfs IMG LABEL: the file system a stick gets, vfat (mkfs.vfat, label
# upper-cased as FAT keeps it) where the kernel has vfat, else ext4 (said
# once in the output: the QEMU image test mounts vfat).
usb_mkfs() {
	if grep -qw vfat /proc/filesystems || modprobe vfat 2>/dev/null; then
		mkfs.vfat -n "${2^^}" "$1" >/dev/null
	else
		[ -n "${UI_NOVFAT_SAID:-}" ] ||
		    echo "# this kernel has no vfat: the sticks are ext4"
		UI_NOVFAT_SAID=1
		mkfs.ext4 -q -L "$2" "$1"
	fi
}

# usb_bus: the sysfs tree SYS=$T_TMP/sys whose USB bus the loop-device
# sticks below go on. Real mounts need root and a free loop device:
# without them the test fails.
usb_bus() {
	if [ "$(id -u)" != 0 ] || ! losetup -f >/dev/null 2>&1; then
		fail "root and a free loop device (real mounts need them)"; finish
	fi
	SYS=$T_TMP/sys
	mkdir -p "$SYS/block"
}

# Loop-device sticks for --sticks auto, on the USB bus of the sysfs tree
# $SYS (usb_bus): usb_stick NAME LABEL [ro] makes a 16 MiB image $T_TMP/NAME.img
# with a file system labelled LABEL (usb_mkfs), attached (read-only with
# ro) as ${USB_DEV[NAME]}, unmounted and detached at the end; usb_fill
# NAME FILE... copies files onto it; usb_insert NAME and usb_pull NAME put
# it on the bus and take it off; usb_sum NAME is its image's checksum.
declare -A USB_DEV
usb_stick() {
	truncate -s 16M "$T_TMP/$1.img"
	usb_mkfs "$T_TMP/$1.img" "$2"
	USB_DEV[$1]=$(losetup -f --show ${3:+-r} "$T_TMP/$1.img") || return
	on_exit "umount '${USB_DEV[$1]}' 2>/dev/null; blockdev --setrw '${USB_DEV[$1]}'; losetup -d '${USB_DEV[$1]}'"
}
usb_fill() {
	local n=$1 m=$T_TMP/usb-fill
	shift
	mkdir -p "$m" && mount "${USB_DEV[$n]}" "$m" && cp -r "$@" "$m/" &&
	    umount "$m"
}
usb_insert() { usb_stick_in "$SYS" "${USB_DEV[$1]}" "Stick $1"; }
usb_pull() { usb_stick_out "$SYS" "${USB_DEV[$1]}"; }
usb_sum() { md5sum <"$T_TMP/$1.img"; }

# ui_server NAME [unsealed] [ARGS...]: a Shamir OpenBao NAME
# (bao_start_shamir NAME ARGS; the test ends if it does not start)
# initialised with 3 shares, t = 2, and with unsealed, unsealed with the
# first two (bao_share NAME K).
ui_server() {
	local name=$1 unseal=; shift
	[ "${1:-}" = unsealed ] && { unseal=1; shift; }
	bao_start_shamir "$name" "$@" || { fail "OpenBao $name starts"; finish; }
	check "OpenBao initialised with 3 shares, threshold 2" bao_init "$name" 3 2
	[ -z "$unseal" ] || check "and unsealed" bao_unseal "$name" \
	    "$(bao_share "$name" 1)" "$(bao_share "$name" 2)"
}

# ui_room [keys] [ARGS...]: a guided-UI test's folders under C=$T_TMP/c
# (the exchange folder C/x, the state folder C/state, the holders' stick
# folders C/sticks; with keys, the key folder C/keys), T its transcript,
# PASS the holders' passphrase, and UI_CMD the UI on them as the tests run
# it (the console's TERM=linux, a rehearsal), with ARGS.
ui_room() {
	local keys=()
	C=$T_TMP/c
	mkdir -p "$C/x"
	if [ "${1:-}" = keys ]; then
		shift
		mkdir -p "$C/keys"
		keys=(--keys "$C/keys")
	fi
	T=$C/state/transcript.jsonl
	PASS=$(cat "$PASSFILE")
	UI_CMD=(env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x"
	    "${keys[@]}" --sticks "$C/sticks" --rehearsal "$@")
}

# ui_init_begun: from the start screen, the init of that roster (t = 2)
# begun without detours; the ceremony key is on the screen.
ui_init_begun() {
	local k
	ui_wait "Which ceremony is this?" >/dev/null && ui_keys Enter
	ui_wait "3 holders, 1 operator, 1 witnesses" >/dev/null && ui_keys Enter
	ui_wait "How many of them are needed" >/dev/null && ui_keys Enter
	for k in 1 2 3 4 5; do ui_wait "Key $k of 5" >/dev/null && ui_keys y; done
	ui_wait "Begin the init ceremony? Type y to begin." >/dev/null && ui_keys y
	ui_wait "Ceremony key" >/dev/null
}
