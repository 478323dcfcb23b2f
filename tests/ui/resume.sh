#!/usr/bin/env bash
# Resume: the UI killed (kill -9) mid-ceremony and started again on the
# same state folder shows the open ceremony (kind, id, the step it is at)
# instead of the start menu, offers resume (tests/ui/resume_unseal.sh
# takes it) and no begin, and abandons it with the same signed abandon as
# `conclave unseal abandon --reason`; a rekey begun on the command line
# is offered the same way and abandoned as the rekey's abandon. The transcript verifies as abandoned
# with one opening record and no record twice. While the UI holds the
# ceremony, the command line on the same state folder is refused naming
# the UI, its pid and what to do, and a second UI says the same. No
# server is needed.
# Screens kept (tests/ui/screens/resume-abandon-*.txt) and checked to fit 80x24.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/uidrive.sh"
KEYS=$TOP/tests/vectors/keys

C=$T_TMP/c
mkdir -p "$C/x"
ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --rehearsal
ui_step "Which ceremony is this?" start
ui_keys Down Enter
ui_wait "Begin the unseal ceremony? Type y to begin." >/dev/null
ui_keys y
ui_step "Ceremony key" begun
ui_keys Enter
ui_wait "Waiting" 10 >/dev/null

T=$C/state/transcript.jsonl
# While the UI holds the ceremony, the command line is refused with who
# holds it (the UI, its pid) and what to do, and changes nothing.
before=$(sha256sum "$T" "$C/state/ceremony.json")
pid=$(ui_pid)
for step in status abandon; do
	check_fails "unseal $step while the UI runs: refused" \
	    "$CONCLAVE" unseal "$step" --state "$C/state" --exchange "$C/x"
	check_output "  naming the UI, its pid, and what to do" \
	    "CK_ERR_BUSY.*the guided UI \\(conclave ui, pid $pid\\) holds this state folder's ceremony.*Ctrl-Q" \
	    joined "$CONCLAVE" unseal "$step" --state "$C/state" --exchange "$C/x"
done
# A second UI on the same state folder: told who holds it, nothing changed.
first=$UI_SOCKET
UI_SOCKET=$first-second
ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" --rehearsal
ui_step "Another conclave is running on this state folder" second-ui
check "it names the first UI's process" ui_wait "It is process $pid." 2
check "it offers only to leave" ui_wait "Ctrl-Q leave" 2
ui_stop
UI_SOCKET=$first
check "  and nothing changed" test "$(sha256sum "$T" "$C/state/ceremony.json")" = "$before"
ui_kill9 "after the begin"
before=$(sha256sum "$T")
check_output "the CLI sees the open ceremony the UI left" '^requested' \
    "$CONCLAVE" unseal status --state "$C/state" --exchange "$C/x"

ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --rehearsal
ui_step "An open ceremony is in the state folder" resume
id=$(jq -r .ceremony_id "$C/state/ceremony.json")
check "it names the kind and the ceremony id" ui_wait "unseal ceremony $id" 2
check "it names the step it is at" ui_wait "At step " 2
check "it offers resume and abandon" ui_wait "Enter resume  a abandon" 2
check "no start menu, no begin" sh -c "! tmux -L '$UI_SOCKET' capture-pane -p -t ui | grep -q 'Which ceremony'"
check "showing it changed nothing" test "$(sha256sum "$T")" = "$before"

ui_keys a
ui_step "Why (recorded):" abandon-reason
ui_keys Enter
check "an empty reason abandons nothing" test "$(sha256sum "$T")" = "$before"
ui_keys Escape
check "Esc goes back" ui_wait "a abandon  Ctrl-Q leave" 5
ui_keys a
ui_wait "Why (recorded):" 5 >/dev/null
ui_type "the appliance was restarted"
ui_keys Enter
ui_step "Ceremony closed. Abandoned" summary 10
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check_output "the transcript verifies as abandoned, with why" \
    'ceremony: unseal, abandoned: the appliance was restarted' \
    "$CONCLAVE" verify "$T"
check "one opening record, one request" test \
    "$(jq -r .type "$T" | grep -cxE 'open|unseal-request-sent')" = 2
check "no record twice: sequence numbers 0..N-1 each once" test \
    "$(jq -r .seq "$T" | tr '\n' ' ')" = "$(seq -s ' ' 0 $(($(wc -l <"$T") - 1))) "
check_output "the bridge is told (a closing request on the stick)" \
    'closing-request' ls "$C"/x/*/

# Started again on the closed ceremony: nothing open, the start menu.
ui_stop
ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --rehearsal
check "a closed ceremony is not offered for resume" ui_wait "Which ceremony is this?" 10
check "the start menu names the closed unseal ceremony and what to do" \
    ui_wait "holds a closed unseal ceremony. Archive it" 10
ui_keys Enter
check "Enter there begins nothing: an empty state folder is asked for" \
    ui_wait "ceremony is here: use an empty state folder (--state)." 10
check "and the screen stays the start menu" ui_wait "Which ceremony is this?" 5

# A ceremony begun on the command line (a rekey) is the UI's to resume
# too, or to abandon with the rekey's own abandon.
mkdir -p "$C/gx"
check "rekey begun on the command line" "$CONCLAVE" rekey begin \
    --state "$C/g" --exchange "$C/gx" --threshold 2 \
    --holder alice="$KEYS/holder1.asc" --holder bob="$KEYS/holder2.asc"
ui_stop
ui_start env TERM=linux "$CONCLAVE" --state "$C/g" --exchange "$C/gx" \
    --rehearsal
ui_step "An open ceremony is in the state folder" resume-cli
check "it names the rekey" ui_wait "rekey ceremony" 2
check "it offers resume and abandon" ui_wait "Enter resume  a abandon" 2
ui_keys a
ui_wait "Why (recorded):" 5 >/dev/null
ui_type "goes on elsewhere"
ui_keys Enter
ui_wait "Ceremony closed. Abandoned" 10 >/dev/null
check_output "its abandon is the rekey's, signed" \
    'ceremony: rekey, abandoned: goes on elsewhere' \
    "$CONCLAVE" verify "$C/g/transcript.jsonl"
check_output "recorded as the rekey's abandon" 'rekey-abandoned' \
    cat "$C/g/transcript.jsonl"
ui_check_screens resume-abandon
finish
