#!/usr/bin/env bash
# The guided UI's behaviour that needs no server, driven in tmux with
# TERM=xterm-256color: the inactivity lock, help, a file name carrying a
# terminal escape, a key nobody recognises, leaving with confirmation, a
# terminal smaller than 80x24, no terminal at all, a begin without the
# exchange folder, a previous transcript that does not verify.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/uidrive.sh"
KEYS=$TOP/tests/vectors/keys

C=$T_TMP/c
mkdir -p "$C/keys" "$C/x"
cp "$KEYS/holder1.asc" "$C/keys/holder-alice.asc"
cp "$KEYS/holder2.asc" "$C/keys/holder-bob.asc"
cp "$KEYS/operator.asc" "$C/keys/operator-olga.asc"
# A name from a stick that would clear the screen if printed raw.
cp "$KEYS/witness.asc" "$C/keys/witness-$(printf 'x\033[2Jy').asc"

check_output "without a terminal it says so and exits 2" 'needs a terminal' \
    "$CONCLAVE" --state "$C/state" --exchange "$C/x" </dev/null
# The lock, on its own run: a 2 s relock would get in the way of the rest.
ui_start env TERM=xterm-256color "$CONCLAVE" ui --state "$C/state" \
    --exchange "$C/x" --keys "$C/keys" --relock 2
check "start screen (xterm)" ui_wait "Which ceremony is this?"
ui_keys Enter
check "the roster lists the key files" ui_wait "2 holders, 1 operator, 1 witnesses"
check "after 2 s without a key the screen locks" ui_wait "Locked after inactivity" 10
check_fails "the locked screen hides the roster" sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | grep -q holder-alice"
ui_keys Enter
check "Enter unlocks, back where it was" ui_wait "holder-alice.asc"
ui_stop

ui_start env TERM=xterm-256color "$CONCLAVE" ui --state "$C/state" \
    --exchange "$C/x" --keys "$C/keys"
check "start screen (xterm)" ui_wait "Which ceremony is this?"
check_fails "no REHEARSAL banner outside rehearsal mode" sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | grep -q REHEARSAL"
ui_keys 3
check "a number picks a ceremony and says what it is" ui_wait "New shares for a new roster"
ui_keys Down Up Up Up 1 Enter
check "the roster again" ui_wait "2 holders, 1 operator, 1 witnesses"
check "a file name with an escape sequence is shown as (unprintable)" \
    ui_wait "(unprintable)"
ui_keys Down Down Down w
ui_keys '?'
check "? shows the screen's help" ui_wait "Give each one its role"
ui_keys Escape
ui_keys n
check "n renames the selected member" ui_wait "Name:"
ui_keys C-u; ui_type "walt"; ui_keys Enter
check "Enter checks every key" ui_keys Enter
check "quorum screen" ui_wait "How many of them are needed" 20
ui_keys Enter
check "fingerprint screen" ui_wait "Key 1 of 4"
ui_keys n
check "a key not recognised goes back to the roster" ui_wait "was not confirmed"
ui_keys C-q
check "Ctrl-Q asks before leaving" ui_wait "Leave conclave?"
ui_keys n
check "n stays" ui_wait "Key files in"
uitmux resize-window -t ui -x 70 -y 20 2>/dev/null || uitmux resize-pane -t ui -x 70 -y 20
check "a terminal below 80x24 shows no ceremony, only what to do" \
    ui_wait "needs a terminal of at least 80x24"
uitmux resize-window -t ui -x 80 -y 24 2>/dev/null || uitmux resize-pane -t ui -x 80 -y 24
check "back at 80x24 the screen returns" ui_wait "Key files in"
ui_keys C-q
ui_wait "Leave conclave?" >/dev/null
ui_keys y
check "y leaves, status 0" ui_wait "[ui exited 0]" 10
check_fails "nothing began: no state folder" test -e "$C/state"
ui_stop

# Beginning with the exchange folder not there (the stick not mounted):
# said as such, and nothing begins.
ui_start env TERM=xterm-256color "$CONCLAVE" ui --state "$C/state" \
    --exchange "$C/no-exchange" --keys "$C/keys"
ui_wait "Which ceremony is this?" >/dev/null && ui_keys 2 Enter
ui_wait "Type y to begin." >/dev/null && ui_keys y
ui_wait "could not begin" 10 >/dev/null
check_output "a begin without the exchange folder says the stick is not there" \
    'the exchange folder is not there: is the exchange stick in' joined ui_screen
check_fails "... and nothing began: no state folder" test -e "$C/state"
ui_stop

# The previous ceremony's transcript is verified before anything starts.
printf '{"not":"a transcript"}\n' >"$C/prev.jsonl"
ui_start "$CONCLAVE" --state "$C/state" --exchange "$C/x" --keys "$C/keys" \
    --previous-transcript "$C/prev.jsonl"
check "a previous transcript that does not verify stops it, status 1" \
    ui_wait "conclave ui: previous transcript" 10
check "... with status 1" ui_wait "[ui exited 1]" 10
finish
