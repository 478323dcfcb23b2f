#!/usr/bin/env bash
# Every help text of both programs fits an 80-column terminal: the top
# level and each command's --help, every line at most 80 characters (a
# cut line loses an option or its remedy; issue 10). Error and status
# lines are checked in tests/unit/test_lines80.c, the UI's screens in
# tests/ui/screens.sh.
. "$(dirname "$0")/../lib.sh"

export LC_ALL=C.UTF-8
fits() {	# PROGRAM ARGS...: its output, every line <= 80 characters
	"$@" 2>&1 | awk 'length($0) > 80 { print length($0) ": " $0; bad = 1 }
	    END { exit bad }'
}
commands() { "$1" --help | awk '/^  [a-z]/ { print $1 }' | grep -v '^help$'; }
check "conclave --help fits 80 columns" fits "$CONCLAVE" --help
check "conclave-bridge --help fits 80 columns" fits "$BRIDGE" --help
for cmd in $(commands "$CONCLAVE"); do
	check "conclave $cmd --help fits 80 columns" fits "$CONCLAVE" "$cmd" --help
done
for cmd in $(commands "$BRIDGE"); do
	check "conclave-bridge $cmd --help fits 80 columns" fits "$BRIDGE" "$cmd" --help
done
finish
