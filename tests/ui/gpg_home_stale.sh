#!/usr/bin/env bash
# A GnuPG home left behind by a killed conclave is cleared by the next
# one: the guided UI makes its throwaway home (conclave-gpg.XXXXXX, its
# owner file naming the UI's pid) under --gnupg-base; a holder's secret
# key is imported there with its gpg-agent running, as a kill mid-handout
# can leave it; the UI is killed (kill -9) and the home and agent stay.
# The next conclave started on that base removes the home and stops its
# agent before it makes its own, and leaves alone what is not provably a
# dead process's home of ours: a live process's home, one without an
# owner file, one whose owner is of another pid namespace, a symlink
# with the prefix (not followed), and (as root) another user's home. A
# home whose owner's pid now belongs to a later process is cleared.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/uidrive.sh"
KEYS=$TOP/tests/vectors/keys

G=$T_TMP/g
C=$T_TMP/c
mkdir -p "$G" "$C/x"
UI_CMD=(env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --gnupg-base "$G" --rehearsal)
ns=$(stat -L -c %i /proc/self/ns/pid)
# start PID: when it started (field 22 of /proc/PID/stat, the fields
# counted after the command name in parentheses)
start() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

ui_start "${UI_CMD[@]}"
ui_wait "Which ceremony is this?" >/dev/null
home=$(ls -d "$G"/conclave-gpg.* 2>/dev/null)
check "the UI made one home under --gnupg-base" test -d "$home"
check_output "its owner file names the UI's pid, pid namespace and start" \
    "^$(ui_pid) $ns $(start "$(ui_pid)")\$" cat "$home/conclave-owner"
gpg --homedir "$home" --batch --pinentry-mode loopback --passphrase-file "$KEYS/passphrase.txt" \
    --import "$KEYS/holder1.sec.asc" >/dev/null 2>&1
agent() { pgrep -f "gpg-agent --homedir $home" >/dev/null; }
check "a secret key is in it, its agent running" agent
on_exit "gpgconf --homedir '$home' --kill gpg-agent 2>/dev/null"
ui_kill9 "with a key imported"
check "the killed UI's home stays" test -d "$home/private-keys-v1.d"
check "and its agent runs on" agent

# what must stay
sleep 0 & wait $!; dead=$!
mkdir -m 700 "$G/conclave-gpg.live00" "$G/conclave-gpg.nownr0" "$G/conclave-gpg.ns0000" \
    "$G/conclave-gpg.reused" "$T_TMP/victim"
echo "$$ $ns $(start $$)" >"$G/conclave-gpg.live00/conclave-owner"
echo "$dead $((ns + 1)) 0" >"$G/conclave-gpg.ns0000/conclave-owner"
echo "$dead $ns 0" >"$T_TMP/victim/conclave-owner"
# a dead owner whose pid is now this shell's (it started later): cleared
echo "$$ $ns $(($(start $$) - 1))" >"$G/conclave-gpg.reused/conclave-owner"
ln -s "$T_TMP/victim" "$G/conclave-gpg.symlk"
keep=(live00 nownr0 ns0000 symlk)
if [ "$(id -u)" = 0 ]; then
	mkdir -m 700 "$G/conclave-gpg.other0"
	echo "$dead $ns 0" >"$G/conclave-gpg.other0/conclave-owner"
	chown -R nobody "$G/conclave-gpg.other0"
	keep+=(other0)
fi

ui_start "${UI_CMD[@]}"
ui_wait "Which ceremony is this?" >/dev/null
check "the next conclave removed the dead UI's home" test ! -e "$home"
check "and the home whose owner's pid was reused" test ! -e "$G/conclave-gpg.reused"
gone() { local i; for ((i = 0; i < 50; i++)); do agent || return 0; sleep 0.1; done; return 1; }
check "and stopped its agent" gone
for k in "${keep[@]}"; do
	check "conclave-gpg.$k is left alone" test -e "$G/conclave-gpg.$k"
done
check "the victim behind the symlink too" test -f "$T_TMP/victim/conclave-owner"
check_output "its own home is the only other one, owned by it" "^$(ui_pid) $ns " sh -c \
    "cat \$(ls -d '$G'/conclave-gpg.* | grep -Ev '\\.($(IFS='|'; echo "${keep[*]}"))\$')/conclave-owner"
ui_keys C-q
ui_wait "Leave conclave?" 10 >/dev/null && ui_keys y
check "the UI leaves" ui_wait "[ui exited 0]" 10
check "left normally, it removes its own home" test \
    "$(ls -d "$G"/conclave-gpg.* | wc -l)" = "${#keep[@]}"
finish
