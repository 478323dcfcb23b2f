#!/usr/bin/env bash
# The archive's list on p (the start screen; ui/scr_previous.c, issue 10):
# archives of many chains, as the archive stick of a cluster's ceremonies
# and rehearsals fills up, made of abandoned inits (conclave's own begin,
# abandon and archive: each is a chain's head; no server needed).
#   - 20 chains: more than the screen shows; the list scrolls (PgDn, End,
#     "k of N") to the oldest, which is taken.
#   - a tampered transcript (and a folder named by another id) among good
#     ones: listed as not usable, refused by name if picked, the archive
#     unchanged and no state folder made; the good ones are still taken.
#   - 65 chains, past the 64 listed: the latest 64 listed, the older said
#     to be not listed; the listing is not refused.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

# archived DIR N: N inits begun, abandoned and archived to DIR.
archived() {
	local a=$1 n=$2 i w
	mkdir -p "$a"
	for ((i = 0; i < n; i++)); do
		w=$T_TMP/made/$i
		mkdir -p "$w/x"
		"$CONCLAVE" init begin --state "$w/state" --exchange "$w/x" -t 2 \
		    --holder alice="$KEYS/holder1.asc" --holder bob="$KEYS/holder2.asc" \
		    --operator olga="$KEYS/operator.asc" >/dev/null 2>&1 &&
		    "$CONCLAVE" init abandon --state "$w/state" \
		    --reason "rehearsal $i" >/dev/null 2>&1 &&
		    "$CONCLAVE" archive --state "$w/state" --to "$a" >/dev/null 2>&1 ||
		    return 1
		rm -rf "$w"
	done
}
# listed DIR: the archived ceremonies as the list orders them (latest
# closed first, ties by id), one id a line.
listed() {
	local d
	for d in "$1"/conclave-archive/*/; do
		printf '%s %s\n' "$(jq -r 'select(.type == "close") | .time' \
		    "$d/transcript.jsonl")" "$(basename "$d")"
	done | sort -k1,1r -k2,2 | cut -d' ' -f2
}
sum() { find "$1" -type f -exec md5sum {} + | sort; }
on_list() { ui_screen | grep -qE "^ +init +$1 "; }

# The oldest first, a second before the others: the list's last.
A=$T_TMP/a20
check "an archive: an init abandoned" archived "$A" 1
oldest=$(ls "$A/conclave-archive")
sleep 1
check "... then 19 more" archived "$A" 19
mapfile -t order < <(listed "$A")
check "... 20 ceremonies, the first the oldest" \
    test "${#order[@]}" = 20 -a "${order[19]}" = "$oldest"

U=$T_TMP/u
mkdir -p "$U/x" "$U/sticks"
UI=(env TERM=linux "$CONCLAVE" --state "$U/state" --exchange "$U/x"
    --sticks "$U/sticks" --rehearsal)
ui_start "${UI[@]}" --archive "$A"
ui_step "Which ceremony is this?" start
ui_keys p
ui_step "The archive holds 20 chains" many
check "the latest is chosen: 1 of 20, more below" ui_wait "1 of 20  more below" 2
check "... the latest listed first" on_list "${order[0]}"
check_fails "... the oldest below the screen" on_list "$oldest"
ui_keys NPage
ui_step "12 of 20  more above  more below" many-page
check "a page down: the 12th is listed" on_list "${order[11]}"
ui_keys End
ui_step "20 of 20  more above" many-end
check "the end: the oldest is listed" on_list "$oldest"
check_fails "... the latest is not" on_list "${order[0]}"
ui_keys Up
check "Up: 19 of 20" ui_wait "19 of 20" 2
ui_keys Down Enter
ui_step "Previous ceremony taken from the archive" many-taken
check "the oldest is taken" ui_wait "Ceremony  init $oldest" 2
ui_keys Enter
ui_wait "Which ceremony is this?" >/dev/null && ui_keys Down Enter
check "the unseal's begin screen chains to it" \
    ui_wait "Previous ceremony's transcript verified; its head:" 10
ui_stop

# Three of them, one tampered (a reason edited: its chain breaks), and a
# fourth good one copied to a folder named by another id. Those two are
# listed first (either may be the latest), as not usable; picked, each is
# refused by name and nothing changes; the two good ones are each taken.
B=$T_TMP/tampered
mkdir -p "$B/conclave-archive"
bad=${order[3]}
for id in "$oldest" "$bad" "${order[5]}"; do
	cp -a "$A/conclave-archive/$id" "$B/conclave-archive/"
done
sed -i 's/"reason":"rehearsal /"reason":"Rehearsal /' \
    "$B/conclave-archive/$bad/transcript.jsonl"
check_fails "a tampered transcript: conclave verify refuses it" \
    "$CONCLAVE" verify "$B/conclave-archive/$bad/transcript.jsonl"
other=ffffffffffffffffffffffffffffffff
cp -a "$A/conclave-archive/${order[6]}" "$B/conclave-archive/$other"
before=$(sum "$B")
ui_start "${UI[@]}" --archive "$B"
ui_wait "Which ceremony is this?" >/dev/null && ui_keys p
ui_step "The archive holds 2 chains and 2 not usable" tampered
check_output "the tampered one is listed first, not usable, its error said" \
    "NOT USABLE +$bad +hash chain is broken" ui_screen
check_output "... the misnamed one next" \
    "NOT USABLE +$other +CK_ERR_BAD_NAME" ui_screen
check "... the good ones listed after them" sh -c \
    "tmux -L '$UI_SOCKET' capture-pane -p -t '$UI_TARGET' |
    grep -A1 'NOT USABLE *$other' | grep -q '${order[5]}'"
check "... the latest good one chosen: 3 of 4" ui_wait "3 of 4" 2
ui_keys Home Enter
ui_step "Archived ceremony $bad is not usable" tampered-refused
check_output "picked: refused by name, with why" \
    "Archived ceremony $bad is not usable: hash chain is broken \(CK_ERR_CHAIN\): conclave-archive/$bad: transcript.jsonl" \
    joined ui_screen
check "... the list stays" ui_wait "1 of 4" 2
ui_keys Down Enter
check_output "the misnamed one: refused by name, the ceremony it holds said" \
    "Archived ceremony $other is not usable: .*\(CK_ERR_BAD_NAME\): conclave-archive/$other: it holds ceremony ${order[6]}" \
    joined ui_screen
check "... the archive is as it was" test "$(sum "$B")" = "$before"
check_fails "... nothing began: no state folder" test -e "$U/state"
ui_keys Down Enter
ui_step "Previous ceremony taken from the archive" tampered-good-taken
check "a good one is taken: the latest" ui_wait "Ceremony  init ${order[5]}" 2
ui_keys Enter
ui_wait "Which ceremony is this?" >/dev/null && ui_keys p
ui_wait "The archive holds 2 chains and 2 not usable" >/dev/null &&
    ui_keys End Enter
check "... and the other: the oldest" ui_wait "Ceremony  init $oldest" 10
ui_stop

# Past the 64 listed: 45 more. The latest 64 are listed, the oldest is
# said to be older and not listed, and the last listed is taken.
M=$T_TMP/a65
cp -a "$A" "$M"
check "45 more archived: 65" archived "$M" 45
mapfile -t order < <(listed "$M")
check "... the oldest is the first" test "${#order[@]}" = 65 -a "${order[64]}" = "$oldest"
ui_start "${UI[@]}" --archive "$M"
ui_wait "Which ceremony is this?" >/dev/null && ui_keys p
ui_step "The archive holds 65 chains" past-64 60
check "the latest 64 listed, the older one said" \
    ui_wait "1 older not listed (the latest 64 are)" 2
ui_keys End
ui_step "64 of 64  more above" past-64-end
check "the last listed is the 64th" on_list "${order[63]}"
check_fails "... the oldest is not listed" on_list "$oldest"
ui_keys Enter
check "... and it is taken" ui_wait "Ceremony  init ${order[63]}" 10
ui_stop
ui_check_screens previous_archive_list
finish
