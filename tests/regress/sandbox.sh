#!/usr/bin/env bash
# The real appliance runs under its no-network seccomp filter (DESIGN §2):
# while the UI waits for a key, /proc shows the filter and no_new_privs.
. "$(dirname "$0")/../lib.sh"

sock=conclave-sandbox-$$
on_exit "tmux -L $sock kill-server 2>/dev/null"
field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
pane_pid() { tmux -L "$sock" display -p -t "$1" '#{pane_pid}'; }

tmux -L "$sock" new-session -d -s app -x 80 -y 24 \
    "TERM=xterm exec '$CONCLAVE' ui --rehearsal"
sleep 1
pid=$(pane_pid app)
check_output "conclave is running under a seccomp filter (Seccomp: 2)" '^2$' field "$pid" Seccomp
check_output "conclave has no_new_privs" '^1$' field "$pid" NoNewPrivs

# The same reading of an ordinary process, so the check above can fail.
tmux -L "$sock" new-session -d -s plain -x 80 -y 24 "exec sleep 60"
sleep 0.5
check_output "an ordinary process shows no filter (Seccomp: 0)" '^0$' \
    field "$(pane_pid plain)" Seccomp
finish
