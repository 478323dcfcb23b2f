#!/usr/bin/env bash
# The appliance runs as two processes (README "Process architecture"): the
# monitor under its allow-list, and a parser child under a strict
# allow-list, unprivileged, with tight rlimits; the bridge under its own
# allow-list. /proc shows all three while they wait. A thread started
# before main() is bound too (TSYNC), and makes a call its process may not.
# A child that makes a forbidden system call, crashes, hangs, answers
# garbage or lies about an envelope is killed; the monitor says what
# happened and carries on with a fresh child.
. "$(dirname "$0")/../lib.sh"

sock=conclave-sandbox-$$
on_exit "tmux -L $sock kill-server 2>/dev/null"
field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
limit() { awk -v f="$2" 'index($0, f) == 1 { print $(NF - 2) }' "/proc/$1/limits"; }
pane_pid() { tmux -L "$sock" display -p -t "$1" '#{pane_pid}'; }

tmux -L "$sock" new-session -d -s app -x 80 -y 24 \
    "TERM=xterm exec '$CONCLAVE' ui --rehearsal"
sleep 1
pid=$(pane_pid app)
child=$(pgrep -P "$pid" -f -- --parser-child)
check_output "conclave is running under a seccomp filter (Seccomp: 2)" '^2$' field "$pid" Seccomp
check_output "conclave has no_new_privs" '^1$' field "$pid" NoNewPrivs
check_output "conclave may not dump core" '^0$' limit "$pid" "Max core file size"
if [ "$(id -u)" = 0 ]; then
	# SYS_ADMIN (sticks), SETUID and SETGID (the child as nobody), KILL
	# (stopping it), IPC_LOCK: bits 21, 7, 6, 5, 14.
	check_output "conclave, run by root, keeps five capabilities (CapEff)" \
	    '^00000000002040e0$' field "$pid" CapEff
	check_output "... and no more for what it starts (CapBnd)" \
	    '^00000000002040e0$' field "$pid" CapBnd
else
	check_output "conclave, not root, has no capabilities (CapEff 0)" '^0+$' field "$pid" CapEff
fi
check "conclave has a parser child" test -n "$child"
check_output "the child is under a seccomp filter (Seccomp: 2)" '^2$' field "$child" Seccomp
check_output "the child has its own filter on top of the monitor's" '^2$' \
    field "$child" Seccomp_filters
check_output "the child has no_new_privs" '^1$' field "$child" NoNewPrivs
check_output "the child has no capabilities (CapEff 0)" '^0+$' field "$child" CapEff
if [ "$(id -u)" = 0 ]; then
	check_output "the child, started by root, runs as nobody" '^65534$' field "$child" Uid
	check_output "control: the monitor is root" '^0$' field "$pid" Uid
else
	ok "(skipped: not root, the child keeps this user, who has no capabilities)"
fi
check_output "the child may start no process (RLIMIT_NPROC 0)" '^0$' limit "$child" "Max processes"
check_output "the child may hold two files beyond its socket and stdio (RLIMIT_NOFILE 6)" \
    '^6$' limit "$child" "Max open files"
check_output "the child may write no file (RLIMIT_FSIZE 0)" '^0$' limit "$child" "Max file size"
check_output "the child's memory is bounded (RLIMIT_AS)" '^[0-9]+$' limit "$child" "Max address space"
check_output "the child holds no file but its socket and stdio" '^0 1 2 3 $' \
    bash -c "ls /proc/$child/fd | sort -n | tr '\n' ' '"

# The same reading of an ordinary process, so the checks above can fail.
tmux -L "$sock" new-session -d -s plain -x 80 -y 24 "exec sleep 60"
sleep 0.5
check_output "an ordinary process shows no filter (Seccomp: 0)" '^0$' \
    field "$(pane_pid plain)" Seccomp
check_output "an ordinary process may open files" '^[0-9]+$' limit "$(pane_pid plain)" "Max open files"
if [ "$(id -u)" = 0 ]; then
	check_output "control: an ordinary process of root has capabilities the monitor has not" \
	    '^[1-9a-f][0-9a-f]*$' \
	    printf '%x' $((0x$(field "$(pane_pid plain)" CapEff) & ~0x2040e0))
fi

# The bridge, waiting for armored text on its standard input.
tmux -L "$sock" new-session -d -s bridge -x 80 -y 24 \
    "sleep 60 | '$BRIDGE' dearmor --out '$T_TMP/never.env'"
sleep 0.5
bridge=$(pgrep -f -- "$BRIDGE dearmor --out $T_TMP/never.env")
check "the bridge is running" test -n "$bridge"
check_output "the bridge is under a seccomp filter (Seccomp: 2)" '^2$' field "$bridge" Seccomp
check_output "the bridge has no_new_privs" '^1$' field "$bridge" NoNewPrivs
check_output "the bridge has no capabilities (CapEff 0)" '^0+$' field "$bridge" CapEff
check_output "... nor any to give a program (CapBnd 0)" '^0+$' field "$bridge" CapBnd
check_output "the bridge may not dump core" '^0$' limit "$bridge" "Max core file size"

# A thread that a preloaded library starts before main() waits for the
# filter, then makes a call (CONCLAVE_TEST_CALL) its process may not. The
# controls: with no filter (conclave --version exits before its filter)
# the same calls are made.
preload="$BUILD/tests/preload/thread_call.so"
call() {	# CALL PROGRAM ARGS...: the thread's call in that program
	local what=$1; shift
	env CONCLAVE_TEST_CALL="$what" LD_PRELOAD="$preload" "$@"
}
trap_call() { CONCLAVE_SANDBOX_TRAP=1 call "$@"; }
check_output "a thread started before main() is bound by the filter (TSYNC)" \
    'filter seen; inet refused \(EACCES\)' call inet "$CONCLAVE" qr-decode
check_output "control: the same thread without a filter gets its socket" \
    'no filter seen; inet made' call inet "$CONCLAVE" --version
check_output "trap mode names the monitor's refused system call" \
    'sandbox: refused \(errno\) system call [0-9]+ \(socket\)' trap_call inet "$CONCLAVE" qr-decode
check_output "the monitor's allow-list: a call on no list is absent (ENOSYS)" \
    'filter seen; ptrace refused \(ENOSYS\)' call ptrace "$CONCLAVE" qr-decode
check_output "control: without a filter that call is made" \
    'no filter seen; ptrace made' call ptrace "$CONCLAVE" --version
check_output "trap mode names it" \
    'sandbox: refused \(errno\) system call [0-9]+ \(ptrace\)' trap_call ptrace "$CONCLAVE" qr-decode
check_output "the bridge's thread is bound too: no packet socket" \
    'filter seen; packet refused \(EACCES\)' call packet "$BRIDGE" --version
check_output "the bridge starts no program" \
    'filter seen; exec refused \(EACCES\)' call exec "$BRIDGE" --version
check_output "trap mode names the bridge's refused system call" \
    'sandbox: refused \(errno\) system call [0-9]+ \(execve\)' trap_call exec "$BRIDGE" --version
check_output "the bridge's allow-list: a call on no list is absent" \
    'sandbox: refused \(errno\) system call [0-9]+ \(ptrace\)' trap_call ptrace "$BRIDGE" --version

# Neither program runs without its filter: started under an outer filter
# that makes seccomp(2) fail (EPERM), each refuses, by name. The control:
# the same outer filter on another call (personality) lets them run.
without_call() {	# NR PROGRAM ARGS...: PROGRAM where system call NR fails
	python3 - "$@" <<'PY'
import ctypes, os, struct, sys
nr = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
insns = [(0x20, 0, 0, 0), (0x15, 0, 1, nr),       # ld nr; jeq NR
         (0x06, 0, 0, 0x00050001), (0x06, 0, 0, 0x7fff0000)]  # EPERM; allow
buf = ctypes.create_string_buffer(b''.join(struct.pack('HBBI', *i) for i in insns))
class Prog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]
prog = Prog(len(insns), ctypes.cast(buf, ctypes.c_void_p))
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.syscall(317, 1, 0, ctypes.byref(prog)) != 0:
    sys.exit('cannot install the outer filter')
os.execv(sys.argv[2], sys.argv[2:])
PY
	echo "exit $?"
}
if [ "$(uname -m)" = x86_64 ]; then	# the numbers are x86_64's
	check_output "conclave refuses to run without its filter" \
	    'cannot install its seccomp allow-list; refusing to run' without_call 317 "$CONCLAVE" qr-decode
	check_output "... exit 1" '^exit 1$' without_call 317 "$CONCLAVE" qr-decode
	check_output "conclave-bridge refuses to run without its filter" \
	    'cannot install its seccomp allow-list; refusing to run' without_call 317 "$BRIDGE" status
	check_output "control: the outer filter on another call lets conclave run" \
	    'need images' without_call 135 "$CONCLAVE" qr-decode
	check_output "control: ... and the bridge (no server there: it tried)" 'server unreachable' \
	    env VAULT_ADDR=http://127.0.0.1:1 bash -c "$(declare -f without_call); without_call 135 '$BRIDGE' status"
else
	ok "(skipped: the outer filter's numbers are x86_64's)"
fi

# A child that misbehaves on its first request. Two copies of one QR code:
# the first image meets the bad child, the second a fresh one, and the
# envelope must still come out whole.
printf 'CONCLAVE-ENVELOPE small one\n' >"$T_TMP/small.env"
"$CONCLAVE" qr-encode "$T_TMP/small.env" --png-dir "$T_TMP/one" >/dev/null
cp "$T_TMP/one/qr-0000.png" "$T_TMP/one/again.png"
bad_child() {	# how: run qr-decode with a child that misbehaves that way
	rm -f "$T_TMP/once" "$T_TMP/out"
	CONCLAVE_TEST_ONCE="$T_TMP/once" CONCLAVE_TEST_CHILD=$1 \
	    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" \
	    "$CONCLAVE" qr-decode --out "$T_TMP/out" "$T_TMP/one/qr-0000.png" \
	    "$T_TMP/one/again.png" 2>&1
	cmp -s "$T_TMP/small.env" "$T_TMP/out" && echo "ENVELOPE INTACT"
}
for how in syscall crash garbage hang; do bad_child $how >"$T_TMP/bad.$how"; done
check_output "a child that tries a forbidden system call is killed and named" \
    'killed by signal 31 \(SIGSYS: a system call outside its sandbox\)' cat "$T_TMP/bad.syscall"
check_output "a child that crashes is named" 'killed by signal 11' cat "$T_TMP/bad.crash"
check_output "a child that answers garbage is killed" \
    'answered out of protocol \(CK_ERR_TOO_LARGE\) and was killed' cat "$T_TMP/bad.garbage"
check_output "a child that hangs is killed after its time" \
    'did not answer within [0-9]+ s and was killed' cat "$T_TMP/bad.hang"
for how in syscall crash garbage hang; do
	check_output "after a child that went wrong ($how), the monitor carries on" \
	    'ENVELOPE INTACT' cat "$T_TMP/bad.$how"
done
check_output "trap mode names the child's forbidden system call" \
    'sandbox: killed on system call [0-9]+ \(socket\)' \
    env CONCLAVE_SANDBOX_TRAP=1 bash -c "$(declare -f bad_child); T_TMP=$T_TMP \
    CONCLAVE=$CONCLAVE BUILD=$BUILD bad_child syscall"

# A child that says "a valid envelope" about bytes that are not one: the
# monitor checks the signature itself, and nothing lands in the exchange.
"$BUILD/tests/tools/envelope_tool" forge init-result \
    "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" 2 \
    <<<'{"a":1}' >"$T_TMP/forged.env"
"$CONCLAVE" qr-encode "$T_TMP/forged.env" --png-dir "$T_TMP/env" >/dev/null
mkdir -p "$T_TMP/x"
check_output "a child that lies about an envelope is caught by the monitor's own check" \
    'out of protocol \(CK_ERR_TRUNCATED\) and was killed' \
    env CONCLAVE_TEST_ONCE="$T_TMP/once2" CONCLAVE_TEST_CHILD=lie \
    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" \
    "$CONCLAVE" qr-decode --exchange "$T_TMP/x" "$T_TMP/env/qr-0000.png"
check "... and nothing was placed in the exchange folder" \
    test -z "$(ls -A "$T_TMP/x")"
check "control: an honest child places the same envelope" \
    "$CONCLAVE" qr-decode --exchange "$T_TMP/x" "$T_TMP/env/qr-0000.png"
check "... which is there" test -n "$(ls -A "$T_TMP/x")"

# Files reach the child as descriptors (WIRE_FD, 0x80, on the request
# type), opened by the monitor: a PNG (6), an envelope in the exchange
# folder (2), a transcript to verify (8), a minisign key (18).
"$BUILD/tests/tools/transcript_tool" write "$T_TMP/t.jsonl" 4 >/dev/null
report() {	# CMD...: the requests the child saw
	rm -f "$T_TMP/once5"
	CONCLAVE_TEST_ONCE="$T_TMP/once5" CONCLAVE_TEST_CHILD=report \
	    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" "$@" 2>&1 |
	    grep '^child: request'
}
check_output "a PNG file reaches the child as a file" '^child: request 134, a file$' \
    report "$CONCLAVE" qr-decode --out "$T_TMP/out5" "$T_TMP/one/qr-0000.png"
check_output "a transcript's minisign key reaches the child as a file" \
    '^child: request 146, a file$' \
    report "$CONCLAVE" verify "$T_TMP/t.jsonl" --pubkey "$T_TMP/t.jsonl.pub"
check_output "control: an image from memory goes inline" '^child: request 4, no file$' \
    report "$CONCLAVE" qr-decode --out "$T_TMP/out5" "$T_TMP/one/qr-0000.png"
ln -s "$T_TMP/t.jsonl.pub" "$T_TMP/link.pub"
check_output "a symlink is refused by the monitor, before any request" \
    'CK_ERR_SYMLINK' "$CONCLAVE" verify "$T_TMP/t.jsonl" --pubkey "$T_TMP/link.pub"
check_output "... and the child saw no key request" '^$' \
    bash -c "$(declare -f report); T_TMP=$T_TMP BUILD=$BUILD report \
    '$CONCLAVE' verify '$T_TMP/t.jsonl' --pubkey '$T_TMP/link.pub' | grep 146"

# The new requests misbehaved on: the monitor names it, fails closed.
pub_bad() {	# how
	rm -f "$T_TMP/once6"
	CONCLAVE_TEST_ONCE="$T_TMP/once6" CONCLAVE_TEST_CHILD=$1 \
	    CONCLAVE_TEST_REQUEST=18 \
	    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" \
	    "$CONCLAVE" verify "$T_TMP/t.jsonl" --pubkey "$T_TMP/t.jsonl.pub"
	echo "exit $?"
}
out=$(pub_bad crash 2>&1)
check_output "a child that crashes on a minisign key is named" 'killed by signal 11' echo "$out"
check_output "... and verify fails (exit 2: no key), no OK" '^exit 2$' echo "$out"
out=$(pub_bad garbage 2>&1)
check_output "a child that answers a minisign key with garbage is killed" \
    'answered out of protocol \(CK_ERR_TOO_LARGE\) and was killed' echo "$out"
check_output "... and verify fails, no OK" '^exit 2$' echo "$out"
check_output "a transcript to verify and its .minisig reach the child as files, for its record too" \
    '^child: request 148, 2 files$' report "$CONCLAVE" verify "$T_TMP/t.jsonl"
rec_bad() {	# how
	rm -f "$T_TMP/once8"
	CONCLAVE_TEST_ONCE="$T_TMP/once8" CONCLAVE_TEST_CHILD=$1 \
	    CONCLAVE_TEST_REQUEST=20 \
	    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" \
	    "$CONCLAVE" verify "$T_TMP/t.jsonl"
	echo "exit $?"
}
out=$(rec_bad crash 2>&1)
check_output "a child that crashes building a transcript's record is named" \
    'killed by signal 11' echo "$out"
check_output "... and verify fails closed (exit 1), no OK" '^exit 1$' echo "$out"
out=$(rec_bad garbage 2>&1)
check_output "a child that answers a record with garbage is killed" \
    'answered out of protocol \(CK_ERR_TOO_LARGE\) and was killed' echo "$out"
check "... no OK line" test -z "$(echo "$out" | grep '^OK')"
check_output "control: an honest child reads the key" '^OK ' \
    "$CONCLAVE" verify "$T_TMP/t.jsonl" --pubkey "$T_TMP/t.jsonl.pub"

# In a ceremony: a step whose child crashes on the result is refused and
# on the record, and the ceremony's state has not moved; the same step run
# again gets a fresh child and reaches the envelope's content (a forged
# result, refused for what it says).
. "$TOP/tests/ceremony.sh"
A=$T_TMP/ceremony
ceremony_begin "$A" 3
cid=$(ls "$A/x")
"$BUILD/tests/tools/envelope_tool" forge init-result "$cid" 2 <<<'{"a":1}' \
    >"$A/x/$cid/000002-init-result.env"
before=$(sha256sum <"$A/state/ceremony.json")
check_output "a step whose child crashes is refused, by name" 'CK_ERR_CHILD_DIED' \
    env CONCLAVE_TEST_ONCE="$T_TMP/once3" CONCLAVE_TEST_CHILD=crash \
    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" \
    "$CONCLAVE" init accept --state "$A/state"
check "... the ceremony's state has not moved" \
    test "$(sha256sum <"$A/state/ceremony.json")" = "$before"
check_output "... the refusal is on the record" '"error":"CK_ERR_CHILD_DIED"' \
    tail -n 1 "$A/state/transcript.jsonl"
check_output "an envelope in the exchange folder reaches the child as a file" \
    '^child: request 130, a file$' report "$CONCLAVE" init accept --state "$A/state"
before=$(sha256sum <"$A/state/ceremony.json")
records=$(wc -l <"$A/state/transcript.jsonl")
check_output "a child that answers a signed envelope with a payload too deep is killed" \
    'out of protocol \(CK_ERR_JSON\)' \
    env CONCLAVE_TEST_ONCE="$T_TMP/once7" CONCLAVE_TEST_CHILD=deepjson \
    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" \
    "$CONCLAVE" init accept --state "$A/state"
check "... the ceremony's state has not moved" \
    test "$(sha256sum <"$A/state/ceremony.json")" = "$before"
check_output "... the refusal is on the record, once" \
    "^$((records + 1)) .*CK_ERR_CHILD_PROTOCOL" \
    bash -c "echo \$(wc -l <'$A/state/transcript.jsonl') \$(tail -n 1 '$A/state/transcript.jsonl')"
check_output "the step again, with a fresh child, reaches the envelope's content" \
    'CK_ERR_FORMAT' "$CONCLAVE" init accept --state "$A/state"
# The handout commitments an unseal loads come from the child too.
U=$T_TMP/un
mkdir -p "$U"
check_output "a handout transcript (open: no .minisig) reaches the child as a file" \
    '^child: request 150, a file$' report "$CONCLAVE" unseal begin \
    --state "$U/state" --exchange "$A/x" --handout-transcript "$A/state/transcript.jsonl"
rm -rf "$U/state"
check_output "a child that crashes reading a handout is named, the begin refused" \
    'CK_ERR_CHILD_DIED' env CONCLAVE_TEST_ONCE="$T_TMP/once9" \
    CONCLAVE_TEST_CHILD=crash CONCLAVE_TEST_REQUEST=22 \
    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" \
    "$CONCLAVE" unseal begin --state "$U/state" --exchange "$A/x" \
    --handout-transcript "$A/state/transcript.jsonl"
check "... and no unseal was begun (no state folder)" test ! -e "$U/state"
check_output "control: an honest child loads the handout" 'handout of init ceremony' \
    "$CONCLAVE" unseal begin --state "$U/state" --exchange "$A/x" \
    --handout-transcript "$A/state/transcript.jsonl"
verify_crash() {
	CONCLAVE_TEST_ONCE="$T_TMP/once4" CONCLAVE_TEST_CHILD=crash \
	    LD_PRELOAD="$BUILD/tests/preload/child_misbehave.so" \
	    "$CONCLAVE" verify "$A/state/transcript.jsonl"
	echo "exit $?"
}
out=$(verify_crash 2>&1)
check_output "conclave verify checks in the child: a crash there is named" \
    'killed by signal 11' echo "$out"
check_output "... and verify fails closed (exit 1, no OK)" '^exit 1$' echo "$out"
check "... no OK line" test -z "$(echo "$out" | grep '^OK')"
finish
