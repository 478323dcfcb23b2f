#!/usr/bin/env bash
# Every help text of both programs fits an 80-column terminal: the top
# level and each command's --help, every line at most 80 characters (a
# cut line loses an option or its remedy; issue 10). Error and status
# lines are checked in tests/unit/test_lines80.c, the UI's screens in
# tests/ui/screens.sh.
. "$(dirname "$0")/../lib.sh"

commands() { "$1" --help | awk '/^  [a-z]/ { print $1 }' | grep -v '^help$'; }
check "conclave --help fits 80 columns" fits80 "$CONCLAVE" --help
check "conclave-bridge --help fits 80 columns" fits80 "$BRIDGE" --help
for cmd in $(commands "$CONCLAVE"); do
	check "conclave $cmd --help fits 80 columns" fits80 "$CONCLAVE" "$cmd" --help
done
for cmd in $(commands "$BRIDGE"); do
	check "conclave-bridge $cmd --help fits 80 columns" fits80 "$BRIDGE" "$cmd" --help
done
finish
