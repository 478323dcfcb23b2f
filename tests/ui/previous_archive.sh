#!/usr/bin/env bash
# The previous ceremony from the archive (issue 10): the booted appliance
# starts the UI with fixed options, so the cluster's previous transcript
# comes from the archive, not --previous-transcript. An init (conclave's
# steps, a real OpenBao and the real bridge) is archived to a folder (the
# --archive form of the archive stick); a fresh UI with no
# --previous-transcript takes it with p on the start screen, the unseal's
# begin screen shows the chain, and a stick bringing another holder's key
# is refused by name. A tampered archived transcript is listed as not
# usable and refused if picked, a folder with no archive is refused; both
# change nothing (tests/ui/previous_archive_list.sh: a tampered one among
# good ones, and archives of many chains); with two chains archived
# both heads are listed and the room picks (an abandoned init: the begin
# screen says it handed out no share that counts). Then the archive stick
# itself (--sticks auto, loop devices: needs root, as CI runs).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
I=$T_TMP/init
check "an init: begun" ceremony_begin "$I" 3
check "... answered by the bridge" bridge_init_start "$I" "$(bao_addr s1)"
check "... accepted" "$CONCLAVE" init accept --state "$I/state"
for k in 1 2 3 4 5; do handout "$I" "$k" >/dev/null 2>&1; done
check "... its shares unseal the server" \
    bao_unseal s1 "$(gpg_share "$I" 1)" "$(gpg_share "$I" 2)" "$(gpg_share "$I" 3)"
check "... the root token revoked" bridge_init_finish "$I" "$(operator_root_token "$I")"
check "... closed" sh -c "'$CONCLAVE' init close --state '$I/state' >/dev/null"
A=$T_TMP/archive
mkdir -p "$A"
check "... and archived" sh -c "'$CONCLAVE' archive --state '$I/state' --to '$A' >/dev/null"
check "the server restarts sealed" bao_restart s1

# The holders' sticks: their share from the init and their key file.
S=$T_TMP/sticks
names=(alice bob carol)
for k in 1 2 3; do
	mkdir -p "$S/${names[$k - 1]}"
	cp "$I/stick$k"/*.gpg "$KEYS/holder$k.sec.asc" "$S/${names[$k - 1]}/"
done
mkdir -p "$S/mixed"
cp "$I"/stick1/*.gpg "$KEYS/holder2.sec.asc" "$S/mixed/"

# A folder with no archive, then an archive whose transcript was altered.
E=$T_TMP/empty
B=$T_TMP/tampered
mkdir -p "$E" "$B"
cp -a "$A/conclave-archive" "$B/"
sed -i '2s/"seq":1/"seq":01/' "$B"/conclave-archive/*/transcript.jsonl
sum() { find "$1" -type f -exec md5sum {} + | sort; }
before=$(sum "$B")
U=$T_TMP/u
mkdir -p "$U/x"
ui_start env TERM=linux "$CONCLAVE" --state "$U/state" --exchange "$U/x" \
    --sticks "$S" --rehearsal --archive "$E"
ui_step "Which ceremony is this?" start
check "the start screen offers p" ui_wait "p previous ceremony" 2
ui_keys p
check_output "a folder with no archive is said so" \
    "No previous ceremony taken.*no conclave-archive/ folder on it" joined ui_screen
ui_keys Escape
ui_stop
ui_start env TERM=linux "$CONCLAVE" --state "$U/state" --exchange "$U/x" \
    --sticks "$S" --rehearsal --archive "$B"
ui_wait "Which ceremony is this?" >/dev/null
ui_keys p
check "a tampered archived transcript is listed as not usable" \
    ui_wait "No ceremony in the archive verifies: none can be taken." 10
check_output "... with its error" "NOT USABLE +$(ls "$B/conclave-archive") +invalid JSON" \
    ui_screen
ui_keys Enter
check_output "picked, it is refused, naming the archived transcript" \
    'Archived ceremony [0-9a-f]{32} is not usable: .*conclave-archive/[0-9a-f]{32}: transcript.jsonl' \
    joined ui_screen
check "... and the archive is as it was" test "$(sum "$B")" = "$before"
ui_keys Escape
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." tampered-begin
check "... nothing was taken: the begin screen names no previous ceremony" \
    ui_wait "Previous ceremony: none given" 2
check_fails "... and nothing began" test -e "$U/state/transcript.jsonl"
ui_stop

# The archive the init wrote: p takes it, as --previous-transcript would.
ui_start env TERM=linux "$CONCLAVE" --state "$U/state" --exchange "$U/x" \
    --sticks "$S" --rehearsal --archive "$A"
ui_wait "Which ceremony is this?" >/dev/null
ui_keys p
ui_step "Previous ceremony taken from the archive" taken
check_output "it names the archived init" "Ceremony +init $(ls "$A/conclave-archive")" ui_screen
ui_keys Enter
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." begin
check "the begin screen shows the chain" \
    ui_wait "Previous ceremony's transcript verified; its head:" 2
ui_keys y
ui_wait "Ceremony key" >/dev/null && ui_keys Enter
check "bridge unseal offers a session" quorum_bridge_start "$U" unseal \
    --exchange "$U/x" --address "$(bao_addr s1)" --wait 120
ui_wait "The bridge's words:" >/dev/null
ui_type walt; ui_keys Enter; ui_type "$(bridge_sas "$U")"; ui_keys Enter
ui_wait "Next holder, your name:" >/dev/null && { ui_type alice; ui_keys Enter; }
ui_wait "Is alice at the appliance?" >/dev/null && ui_keys y
ui_wait "stick (folder):" >/dev/null && { ui_keys C-u; ui_type "$S/mixed"; ui_keys Enter; }
check "alice's share with bob's key: refused, bob named (the init's handout)" \
    ui_wait "this stick brings bob's key, not alice's" 30
check_output "... on the record" 'CK_ERR_WRONG_HOLDER' cat "$U/state/transcript.jsonl"
check_fails "... and no passphrase is asked" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q 'passphrase of your key file'"
# After a rekey that did not complete (its handouts done, its verification
# never), alice's stick also holds that rekey's share, newer and void: the
# share read is the one the init's handout wrote (its file name), not the
# newest, so alice is not turned away with a share that cannot count.
encrypt_share 1 "$(printf '%064x01' 7)" >"$S/alice/conclave-0badc0de-share-1.gpg"
touch -d '1 minute' "$S/alice/conclave-0badc0de-share-1.gpg"
ui_wait "Next holder, your name:" >/dev/null && { ui_type alice; ui_keys Enter; }
ui_wait "Is alice at the appliance?" >/dev/null && ui_keys y
ui_wait "stick (folder):" >/dev/null && { ui_keys C-u; ui_type "$S/alice"; ui_keys Enter; }
ui_wait "passphrase of your key file" >/dev/null && { ui_type "$(cat "$PASSFILE")"; ui_keys Enter; }
check "a void newer share on the stick: the init's share is the one taken" \
    ui_wait "alice's share is sealed to the bridge session." 60
rm "$S/alice/conclave-0badc0de-share-1.gpg"
ui_stop

# Two chains in one archive: the init and an unseal chained to it (its
# head: the unseal), and an init given up before anything (on its own).
# Both heads are listed, the latest closed first; the init the unseal
# names is not; the room picks.
H=$T_TMP/heads
N=$T_TMP/next
J=$T_TMP/other
mkdir -p "$N/x"
cp -a "$A" "$H"
check "an unseal chained to the init, abandoned and archived" sh -c \
    "'$CONCLAVE' unseal begin --state '$N/state' --exchange '$N/x' \
    --previous-transcript '$I/state/transcript.jsonl' >/dev/null &&
    '$CONCLAVE' unseal abandon --state '$N/state' --reason 'another day' >/dev/null &&
    '$CONCLAVE' archive --state '$N/state' --to '$H' >/dev/null"
sleep 1	# the close records' times differ: the order is by them
ceremony_begin "$J" 3
check "... given up" sh -c "'$CONCLAVE' init abandon --state '$J/state' --reason 'wrong room' >/dev/null &&
    '$CONCLAVE' archive --state '$J/state' --to '$H' >/dev/null"
nid=$(jq -r 'select(.type=="open") | .details.ceremony_id' "$N/state/transcript.jsonl")
jid=$(jq -r 'select(.type=="open") | .details.ceremony_id' "$J/state/transcript.jsonl")
iid=$(ls "$A/conclave-archive")
mkdir -p "$T_TMP/u3/x"
ui_start env TERM=linux "$CONCLAVE" --state "$T_TMP/u3/state" --exchange "$T_TMP/u3/x" \
    --sticks "$S" --rehearsal --archive "$H"
ui_wait "Which ceremony is this?" >/dev/null
ui_keys p
ui_step "The archive holds 2 chains" heads
check_output "the abandoned init is listed first (closed last), the unseal next" \
    "init +$jid .* unseal +$nid" joined ui_screen
check_fails "... the init the unseal chains to is not listed" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' | grep -q '$iid'"
ui_keys Down Enter
ui_step "Previous ceremony taken from the archive" heads-taken
check_output "the room's pick is taken" "Ceremony +unseal $nid" ui_screen
ui_keys Enter
ui_wait "Which ceremony is this?" >/dev/null && ui_keys p
ui_wait "The archive holds 2 chains" >/dev/null && ui_keys Enter
check "p again: the abandoned init taken instead" \
    ui_wait "Ceremony  init $jid" 10
ui_keys Enter
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." heads-begin
check_output "the begin screen says the abandoned init handed out no share" \
    'handed out no share that counts; shares are not checked against holders' \
    joined ui_screen
ui_stop

# The same with real sticks (--sticks auto, loop devices on a faked USB
# bus; the exchange stick by the appliance too): a holder's stick is
# refused; the archive stick is mounted read-only, not taken for the
# exchange stick, and unmounted before the screen says to remove it.
usb_bus
MNT=$T_TMP/stick
XM=$T_TMP/exchange
# On it: the two chains above, the abandoned init's transcript tampered.
G=$T_TMP/stick-archive
mkdir -p "$G"
cp -a "$H/conclave-archive" "$G/"
sed -i 's/"reason":"wrong room"/"reason":"right room"/' \
    "$G/conclave-archive/$jid/transcript.jsonl"
usb_stick arch archive
usb_fill arch "$G/conclave-archive"
usb_stick alice alice
usb_fill alice "$KEYS/holder1.sec.asc"
arch_before=$(usb_sum arch)
alice_before=$(usb_sum alice)
ui_start env TERM=linux "$CONCLAVE" --state "$T_TMP/u2/state" --sticks auto \
    --sysfs "$SYS" --stick-mount "$MNT" --exchange-mount "$XM" --rehearsal
ui_wait "Which ceremony is this?" >/dev/null
ui_keys p
ui_step "Insert the archive stick now." stick-insert
usb_insert alice
ui_step "This is a holder's stick" stick-holder-refused
check "... unmounted" sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
usb_pull alice
check_output "... and byte for byte as it was" "^$alice_before\$" usb_sum alice
usb_insert arch
ui_step "The archive holds 1 chain and 1 not usable" stick-list 30
check_output "the tampered init is listed, not usable" "NOT USABLE +$jid +hash chain is broken" \
    ui_screen
ui_keys Home Enter
check "... picked, it is refused by name" ui_wait "Archived ceremony $jid is not usable" 5
check "... the stick stays mounted, read-only" \
    sh -c "findmnt -n -o OPTIONS --mountpoint '$MNT' | grep -qw ro"
ui_keys Down Enter
ui_step "Previous ceremony taken from the archive" stick-taken 30
check_output "the unseal is taken" "Ceremony +unseal $nid" ui_screen
check "the archive stick is unmounted before it may be removed" \
    sh -c "! findmnt --mountpoint '$MNT' >/dev/null"
check "... the screen says to remove it" ui_wait "unmounted: remove it now" 2
check "... it was not taken for the exchange stick" \
    sh -c "! findmnt --mountpoint '$XM' >/dev/null"
usb_pull arch
check_output "... and byte for byte as it was" "^$arch_before\$" usb_sum arch
ui_keys Enter
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." stick-begin
check "the begin screen shows the chain" \
    ui_wait "Previous ceremony's transcript verified; its head:" 2
ui_stop
ui_check_screens previous_archive
finish
