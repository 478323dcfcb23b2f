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
# Every option a page names is one its program takes: some --help of it
# lists it (a page naming an option the program refuses fails here).
# --parser-child is internal (the appliance starting itself).
man_options() {
	grep -o '\\-\\-[a-z][a-z0-9]*\(\\-[a-z0-9]*\)*' "$TOP/docs/man/$1.1" |
	    sed 's/\\-/-/g' | sort -u
}
help_options() {
	{ "$1" --help; for c in $(commands "$1"); do "$1" "$c" --help; done; } 2>&1 |
	    grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}
man_options conclave >"$T_TMP/man-conclave"
help_options "$CONCLAVE" >"$T_TMP/help-conclave"
check_output "conclave(1) names no option conclave does not take" '^$' \
    sh -c "comm -23 '$T_TMP/man-conclave' '$T_TMP/help-conclave' |
    grep -vx -e --parser-child"
man_options conclave-bridge >"$T_TMP/man-bridge"
help_options "$BRIDGE" >"$T_TMP/help-bridge"
check_output "conclave-bridge(1) names no option conclave-bridge does not take" '^$' \
    comm -23 "$T_TMP/man-bridge" "$T_TMP/help-bridge"
for cmd in $(commands "$CONCLAVE"); do
	check "conclave(1) documents '$cmd'" grep -Eq "^\.S[SH] \"?$cmd( |\"|$)" \
	    "$TOP/docs/man/conclave.1"
done
for cmd in $(commands "$BRIDGE"); do
	check "conclave-bridge(1) documents '$cmd'" grep -Eq "^\.S[SH] \"?$cmd( |\"|$)" \
	    "$TOP/docs/man/conclave-bridge.1"
done
finish
