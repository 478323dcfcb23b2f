/*
 * The roster from a folder of public key files (a stick): one line per
 * file, with a role and a name. A file named ROLE-NAME.asc (holder-,
 * operator-, witness-) starts with that role and name; any other file
 * starts as a holder named after the file. Holders get shares in the
 * order shown (file names sorted). File names come from a stick: they are
 * shown only through ui_safe.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/errors.h"
#include "crypto/reader.h"
#include "ui/ui.h"

#define ROLE_SKIP	(-1)
#define LIST_ROWS	12

static struct ui_keyfile files[UI_MAX_KEYFILES];
static size_t nfiles, sel;
static int editing;
static struct ui_field namef;

static void
scan(void)
{
	nfiles = ui_scan_keyfiles(files, UI_MAX_KEYFILES);
	sel = 0;
}

static void
roster_init(void)
{
	editing = 0;
	if (namef.buf == NULL && ui_field_init(&namef, 0) != CK_OK)
		ui_fatal("out of memory");
	roster_free(ui.roster);
	ui.roster = NULL;
	scan();
}

static const char *
role_label(int role)
{
	return role == ROLE_SKIP ? "-" : roster_role_name((enum roster_role)role);
}

static void
roster_draw(void)
{
	size_t i, first = sel >= LIST_ROWS ? sel - LIST_ROWS + 1 : 0;
	unsigned share = 0, nh = 0, no = 0, nw = 0;
	char sh[12];
	int y = UI_TOP;

	ui_text(y++, 2, "Key files in %s", ui_safe(ui.keys_dir));
	ui_text(y++, 2, "%-6s %-9s %-24s %s", "share", "role", "name", "file");
	for (i = 0; i < nfiles; i++) {
		nh += files[i].role == ROSTER_HOLDER;
		no += files[i].role == ROSTER_OPERATOR;
		nw += files[i].role == ROSTER_WITNESS;
	}
	for (i = 0; i < nfiles; i++) {
		if (files[i].role == ROSTER_HOLDER)
			share++;
		if (i < first || i >= first + LIST_ROWS)
			continue;
		sh[0] = '\0';
		if (files[i].role == ROSTER_HOLDER)
			snprintf(sh, sizeof(sh), "%u", share);
		if (i == sel)
			attron(A_REVERSE);
		ui_text(y, 2, "%-6s %-9s %-24.24s %.34s", sh,
		    role_label(files[i].role), ui_safe(files[i].name),
		    ui_safe(files[i].file));
		if (i == sel)
			attroff(A_REVERSE);
		y++;
	}
	if (nfiles == 0)
		ui_text(y++, 4, "(no public key files: *.asc, *.gpg, *.pgp)");
	y = UI_TOP + 2 + LIST_ROWS + 1;
	ui_text(y++, 2, "%u holders, %u operator, %u witnesses", nh, no, nw);
	if (editing) {
		ui_text(y, 2, "Name:");
		ui_field_draw(y, 8, 40, &namef);
		ui_hints("Type the name  Enter keep  Esc cancel");
	} else {
		ui_hints("Up/Down  h/o/w holder/operator/witness  - leave out  "
		    "n rename  Enter");
	}
}

static void
build(void)
{
	struct roster *ro = NULL;
	char *path;
	size_t i;
	int r;

	if ((r = roster_new(&ro)) != CK_OK) {
		ui_say_err("roster", r, NULL);
		return;
	}
	ui_say(0, "Checking every key...");
	ui_redraw();
	for (i = 0; i < nfiles; i++) {
		if (files[i].role == ROLE_SKIP)
			continue;
		if (asprintf(&path, "%s/%s", ui.keys_dir, files[i].file) < 0)
			ui_fatal("out of memory");
		r = roster_add_keyfile(ro, ui.home, files[i].name,
		    (enum roster_role)files[i].role, path);
		free(path);
		if (r != CK_OK) {
			sel = i;
			ui_say(1, "%s: %s (%s)", ui_safe(files[i].file),
			    ck_strerror(r), ck_errname(r));
			roster_free(ro);
			return;
		}
	}
	if (ro->n_holders == 0 ||
	    (ui.kind == UI_KIND_INIT && roster_operator(ro) == NULL)) {
		ui_say(1, "The roster needs at least one holder and one operator "
		    "(the root token is encrypted to the operator's key).");
		roster_free(ro);
		return;
	}
	ui.roster = ro;
	ui.status[0] = '\0';
	ui_goto(UI_SCR_THRESHOLD);
}

static void
roster_key(int ch)
{
	int k;

	if (editing) {
		k = ui_field_key(&namef, ch);
		if (k < 0)
			editing = ui.typing = 0;
		if (k > 0) {
			if (namef.len == 0 || namef.len > ROSTER_NAME_MAX ||
			    rd_printable_utf8(namef.buf, namef.len, 0) != CK_OK) {
				ui_say(1, "A name is 1 to %d printable characters.",
				    ROSTER_NAME_MAX);
				return;
			}
			snprintf(files[sel].name, sizeof(files[sel].name), "%s",
			    namef.buf);
			editing = ui.typing = 0;
		}
		return;
	}
	if (ch == KEY_UP && sel > 0)
		sel--;
	else if (ch == KEY_DOWN && sel + 1 < nfiles)
		sel++;
	else if (nfiles > 0 && ch == 'h')
		files[sel].role = ROSTER_HOLDER;
	else if (nfiles > 0 && ch == 'o')
		files[sel].role = ROSTER_OPERATOR;
	else if (nfiles > 0 && ch == 'w')
		files[sel].role = ROSTER_WITNESS;
	else if (nfiles > 0 && ch == '-')
		files[sel].role = ROLE_SKIP;
	else if (nfiles > 0 && ch == 'n') {
		ui_field_set(&namef, files[sel].name);
		editing = ui.typing = 1;
	} else if (ch == 'r')
		scan();
	else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
		build();
}

const struct ui_screen scr_roster = {
	.title = "Roster: who takes part",
	.step = "roster",
	.help = "Every public key file in the key folder is listed. Give each "
	    "one its role: holders receive shares (in the order shown), at "
	    "init the operator's key receives the initial root token (a rekey "
	    "makes none), witnesses watch and sign off. A file named holder-NAME.asc, operator-NAME.asc or "
	    "witness-NAME.asc starts with that role and name. Enter checks "
	    "every key the way the server will use it. r reads the folder again.",
	.init = roster_init,
	.draw = roster_draw,
	.key = roster_key,
};
