# Shared helpers for shell tests. Source it, call ok/fail/check, end with
# finish. Every test prints "ok - name" or "not ok - name" and finish prints
# the "N passed, N failed" line tests/run counts.
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
. "$TOP/scripts/deps.env"
CONCLAVE="$BUILD/conclave"
BRIDGE="$BUILD/conclave-bridge"
T_PASS=0
T_FAIL=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/conclave-test.XXXXXX")
# A state folder must be on RAM (conclave(1)); where the tests' temporary
# folder is not, every run is a rehearsal on disk and says so.
[ "$(stat -f -c %T "$T_TMP")" = tmpfs ] || export CONCLAVE_STATE_ON_DISK=1
T_CLEANUPS=()

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# check_fails NAME CMD...: passes when CMD exits non-zero.
check_fails() {
	local name=$1; shift
	if "$@"; then fail "$name (unexpectedly succeeded)"; else ok "$name"; fi
}

# check_output NAME REGEX CMD...: passes when CMD's stdout+stderr match REGEX.
check_output() {
	local name=$1 re=$2 out; shift 2
	out=$("$@" 2>&1)
	# Both programs wrap their prose at 80 columns (tty_printw: the rest
	# of a line indented 2), so a message is matched with its lines joined.
	if echo "$out" | grep -Eq -- "$re" ||
	    joined echo "$out" | grep -Eq -- "$re"; then ok "$name"
	else fail "$name: output did not match /$re/:"; echo "$out" | head -20 | sed 's/^/    /'; fi
}

# joined CMD...: CMD's output (and errors), the lines that were wrapped
# within 80 columns joined again (a line break and the indent after it
# read as one space), for a pattern written as one line.
joined() { "$@" 2>&1 | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n  */ /g'; }

# base64_after REGEX FILE: the first block of base64 lines (copyable, in
# lines of 76) after FILE's first line matching REGEX, as one line.
base64_after() {
	awk -v re="$1" 'f && /^[A-Za-z0-9+\/=]+$/ { printf "%s", $0; b = 1; next }
	    b { exit } $0 ~ re { f = 1 }' "$2"
}
# fits80 CMD...: passes when every line CMD prints (stdout+stderr) is at
# most 80 characters, the width of the terminal the programs promise
# (issue 10); the longer lines are printed with their length.
fits80() {
	"$@" 2>&1 | LC_ALL=C.UTF-8 awk 'length($0) > 80 {
	    print "    " length($0) ": " $0; bad = 1 } END { exit bad }'
}
# bridge_fits80: fits80 over every bridge.out this test left.
bridge_fits80() {
	local f
	mapfile -t f < <(find "$T_TMP" -name bridge.out)
	[ "${#f[@]}" -gt 0 ] && fits80 cat "${f[@]}"
}

# asan_build: the programs under test are built with AddressSanitizer
# (make check-sanitize-integration). A memory scan (tests/tools/memscan)
# is not made there: ASan's shadow is terabytes of mappings to read (one
# scan ran for minutes), and its allocator is not the one that ships;
# make check-residue and the normal suites scan the normal build.
asan_build() { ldd "$CONCLAVE" 2>/dev/null | grep -q libasan; }

on_exit() { T_CLEANUPS+=("$*"); }

_t_cleanup() {
	local i
	for ((i = ${#T_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUPS[$i]}" || true; done
	rm -rf "$T_TMP"
}
trap _t_cleanup EXIT

# skip_all REASON: the whole test does not apply here (say why); ends it.
skip_all() {
	echo "# skipped: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
	exit $?
}
