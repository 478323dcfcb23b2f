#!/usr/bin/env bash
# Where the appliance keeps its secrets, it fails closed (conclave(1)):
# - memory for secrets that cannot be locked (RLIMIT_MEMLOCK 0) is a
#   refusal to run, before anything is read or written, in both programs;
# - a state folder that is not on a RAM file system (tmpfs, ramfs) is a
#   refusal that creates nothing, unless a rehearsal says
#   CONCLAVE_STATE_ON_DISK=1.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ceremony.sh"

# As nobody: root may lock memory whatever its limit says.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! as_nobody test -x "$CONCLAVE" -a -x "$BRIDGE"; then
	ok "(skipped: nobody cannot run the build's programs from here)"
else
	check_output "conclave refuses to run when no memory can be locked" \
	    'cannot secure process memory: memory for secrets cannot be locked' \
	    as_nobody prlimit --memlock=0:0 "$CONCLAVE" init begin
	check_output "conclave-bridge too" \
	    'cannot secure process memory: memory for secrets cannot be locked' \
	    as_nobody prlimit --memlock=0:0 "$BRIDGE" status
	out=$(as_nobody "$CONCLAVE" init begin 2>&1)
	check "control: with the usual limit the same user gets as far as the usage" \
	    test "${out#*cannot be locked}" = "$out" -a -n "$(echo "$out" | grep usage)"
fi

begin() {	# DIR: an init begin with the test key set in DIR/state
	mkdir -p "$1"
	ceremony_begin "$1" 3 && cat "$1/begin.out"
}

disk=$T_TMP/disk
mkdir -p "$disk"
if [ "$(stat -f -c %T "$disk")" = tmpfs ]; then
	ok "(skipped: the test folder is on tmpfs, no disk to refuse)"
else
	check_output "a state folder on disk is refused, by name" \
	    'not on a RAM file system.*CONCLAVE_STATE_ON_DISK=1.*CK_ERR_NOT_RAM' \
	    joined env -u CONCLAVE_STATE_ON_DISK bash -c "$(declare -f begin ceremony_begin); \
	    CONCLAVE=$CONCLAVE KEYS=$KEYS begin $disk/a; cat $disk/a/begin.out"
	check "... and nothing was created" test ! -e "$disk/a/state"
	check "... nor an exchange folder for it" test -z "$(ls -A "$disk/a/x")"
	check_output "a rehearsal that says so may keep it on disk" 'words' \
	    env CONCLAVE_STATE_ON_DISK=1 bash -c "$(declare -f begin ceremony_begin); \
	    CONCLAVE=$CONCLAVE KEYS=$KEYS begin $disk/b"
	check_output "the next step is refused the same way without it" 'CK_ERR_NOT_RAM' \
	    env -u CONCLAVE_STATE_ON_DISK "$CONCLAVE" init accept --state "$disk/b/state"
fi
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	ram=$(mktemp -d /dev/shm/conclave-test.XXXXXX)
	on_exit "rm -rf '$ram'"
	check_output "a state folder on tmpfs is accepted without a word" 'words' \
	    env -u CONCLAVE_STATE_ON_DISK bash -c "$(declare -f begin ceremony_begin); \
	    CONCLAVE=$CONCLAVE KEYS=$KEYS begin $ram/c"
else
	ok "(skipped: no writable tmpfs at /dev/shm)"
fi
finish
