# Driving the guided UI in tmux for shell tests. Source after tests/lib.sh.
#
#   ui_start CMD...        the UI in a detached 80x24 tmux pane on a private
#                          tmux server (killed on exit); the pane stays after
#                          CMD ends and shows "[ui exited RC]"
#   ui_screen              the pane's text now
#   ui_wait TEXT [SECS]    poll the pane (every 0.1 s) until TEXT shows, up to
#                          SECS (default 30); on timeout print the screen
#   ui_keys KEY...         tmux send-keys (Enter, Escape, C-e, y ...)
#   ui_type TEXT           literal text
#   ui_snap NAME           keep the screen as $UI_SNAPS/NN-NAME.txt
#   ui_fits FILE           at most 24 lines of at most 80 columns, and no
#                          line cut by the UI's overflow mark
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
