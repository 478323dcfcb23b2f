#!/usr/bin/env bash
# A state folder on disk, in the guided UI: the ceremony key would sit on
# disk, so the begin is refused by name (CK_ERR_NOT_RAM, and what to do),
# nothing is created, and the screen says it within 80 columns. Without
# the rehearsal's explicit CONCLAVE_STATE_ON_DISK=1 (unset here). Needs a
# test folder that is not on tmpfs (skipped there: no disk to refuse).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/uidrive.sh"
KEYS=$TOP/tests/vectors/keys

disk=$T_TMP/disk
mkdir -p "$disk/x" "$disk/keys"
[ "$(stat -f -c %T "$disk")" != tmpfs ] || skip_all "the test folder is on tmpfs"
cp "$KEYS/holder1.asc" "$disk/keys/holder-alice.asc"
cp "$KEYS/holder2.asc" "$disk/keys/holder-bob.asc"
cp "$KEYS/operator.asc" "$disk/keys/operator-olga.asc"
cp "$KEYS/witness.asc" "$disk/keys/witness-walt.asc"

ui_start env -u CONCLAVE_STATE_ON_DISK TERM=xterm-256color "$CONCLAVE" ui \
    --state "$disk/state" --exchange "$disk/x" --keys "$disk/keys"
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Enter
ui_wait "2 holders, 1 operator, 1 witnesses" >/dev/null && ui_keys Enter
ui_wait "How many of them are needed" >/dev/null && ui_keys Enter
for k in 1 2 3 4; do ui_wait "Key $k of 4" >/dev/null && ui_keys y; done
ui_step "Begin the init ceremony? Type y to begin." begin
ui_keys y
ui_step "CK_ERR_NOT_RAM" refused
check_output "the refusal says why and what to do" \
    'not on a RAM file system' ui_screen
check "nothing was created: no state folder" test ! -e "$disk/state"
check "and nothing on the exchange folder" test -z "$(ls -A "$disk/x")"
for f in "$UI_SNAPS"/*.txt; do ui_fits "$f" || fail "$f fits 80x24"; done
ui_check_screens state-on-disk
finish
