#!/usr/bin/env bash
# The man pages render cleanly and describe every command the programs
# list in --help (so a new command without documentation fails here).
. "$(dirname "$0")/../lib.sh"

for page in conclave conclave-bridge; do
	src=$TOP/docs/man/$page.1
	check "$page.1 exists" test -s "$src"
	check_output "$page.1 renders without groff warnings" '^$' \
	    sh -c "groff -man -ww -z '$src' 2>&1"
done
commands() { "$1" --help | awk '/^  [a-z]/ { print $1 }' | grep -v '^help$'; }
for cmd in $(commands "$CONCLAVE"); do
	check "conclave(1) documents '$cmd'" grep -Eq "^\.S[SH] \"?$cmd( |\"|$)" \
	    "$TOP/docs/man/conclave.1"
done
for cmd in $(commands "$BRIDGE"); do
	check "conclave-bridge(1) documents '$cmd'" grep -Eq "^\.S[SH] \"?$cmd( |\"|$)" \
	    "$TOP/docs/man/conclave-bridge.1"
done
finish
