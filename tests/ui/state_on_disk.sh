#!/usr/bin/env bash
# A state folder on disk, in the guided UI: the ceremony key would sit on
# disk, so the UI refuses to start on it, by name (CK_ERR_NOT_RAM, and
# what to do), before the room has done anything (it was refused only at
# the begin, after the roster and every fingerprint), and nothing is
# created. Without the rehearsal's explicit CONCLAVE_STATE_ON_DISK=1 (unset
# here). Needs a test folder that is not on tmpfs (skipped there: no disk
# to refuse).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/uidrive.sh"
KEYS=$TOP/tests/vectors/keys

disk=$T_TMP/disk
mkdir -p "$disk/x" "$disk/keys"
[ "$(stat -f -c %T "$disk")" != tmpfs ] || skip_all "the test folder is on tmpfs"
cp "$KEYS/holder1.asc" "$disk/keys/holder-alice.asc"
cp "$KEYS/operator.asc" "$disk/keys/operator-olga.asc"

ui_start env -u CONCLAVE_STATE_ON_DISK TERM=xterm-256color "$CONCLAVE" ui \
    --state "$disk/state" --exchange "$disk/x" --keys "$disk/keys"
ui_step "[ui exited 1]" refused
check_output "the refusal says why and what to do, before any screen" \
    'conclave ui --state: the state folder is not on a RAM file system.*CONCLAVE_STATE_ON_DISK=1.*CK_ERR_NOT_RAM' \
    joined ui_screen
check_fails "no ceremony screen was shown" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'Which ceremony'"
check "nothing was created: no state folder" test ! -e "$disk/state"
check "and nothing on the exchange folder" test -z "$(ls -A "$disk/x")"
ui_stop
# A rehearsal that says so may use the disk.
ui_start env CONCLAVE_STATE_ON_DISK=1 TERM=xterm-256color "$CONCLAVE" ui \
    --state "$disk/state" --exchange "$disk/x" --keys "$disk/keys"
check "a rehearsal that says so (CONCLAVE_STATE_ON_DISK=1) starts" \
    ui_wait "Which ceremony is this?"
ui_stop
ui_check_screens state-on-disk
finish
