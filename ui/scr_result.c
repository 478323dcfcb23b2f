/*
 * Waiting for the bridge's init-result on the exchange stick, then
 * init_accept: every share encrypted to its holder, the root token to the
 * operator. A refusal is shown (and is on the record); r tries again.
 */
#include <curses.h>
#include <stdio.h>
#include <time.h>

#include "ceremony/init.h"
#include "crypto/errors.h"
#include "ui/ui.h"

enum { WAITING, REFUSED, ACCEPTED };

static int state;
static time_t since;

static void
result_init(void)
{
	state = WAITING;
	since = time(NULL);
}

static void
result_draw(void)
{
	const json_t *srv;
	int y = UI_TOP;

	if (state == ACCEPTED) {
		srv = json_object_get(ui.s->ext, "server");
		ui_text(y++, 2, "Init result accepted.");
		y++;
		ui_text(y++, 2, "Server   %s", ui_safe(json_string_value(
		    json_object_get(srv, "address"))));
		ui_text(y++, 2, "         %s %s", ui_safe(json_string_value(
		    json_object_get(srv, "type"))), ui_safe(json_string_value(
		    json_object_get(srv, "version"))));
		ui_text(y++, 2, "Shares   %zu, each encrypted to its holder's key "
		    "and to nobody else", json_array_size(json_object_get(ui.s->ext,
		    "encrypted_shares")));
		ui_text(y++, 2, "Root     encrypted to the operator's key");
		ui_para(y + 1, "Next: each holder in turn receives their share on "
		    "their own stick and proves their key opens it.");
		ui_hints("Enter: start the handouts");
		return;
	}
	/* The bridge asks for these words before it initialises the server. */
	y = ui_ceremony_key(y);
	y = ui_para(y + 1, "Waiting for the bridge's init result on the exchange "
	    "stick. The operator runs conclave-bridge init: it shows the words "
	    "of the key that signed the request and initialises the server only "
	    "when the operator has typed these words, read aloud by a witness. "
	    "Then the stick comes back here.");
	y++;
	if (state == REFUSED) {
		ui_bold(y, 2, "The result was refused (see below); it is on the "
		    "record.");
		ui_hints("r read the stick again");
	} else {
		ui_text(y, 2, "Waiting... %lds", (long)(time(NULL) - since));
		ui_hints("Read as soon as the result is on the stick");
	}
}

static void
try_accept(void)
{
	char why[256] = "";
	int r;

	if ((r = init_accept(ui.s, why, sizeof(why))) != CK_OK) {
		ui_say_err("Init result refused", r, why);
		state = REFUSED;
		return;
	}
	state = ACCEPTED;
}

static void
result_tick(void)
{
	if (state == WAITING && ui_envelope_waiting())
		try_accept();
}

static void
result_key(int ch)
{
	if (state == REFUSED && ch == 'r')
		result_init();
	else if (state == ACCEPTED &&
	    (ch == '\n' || ch == '\r' || ch == KEY_ENTER))
		ui_goto(UI_SCR_HANDOUT);
}

static const char *
result_waiting(void)
{
	return state == WAITING ? "conclave-bridge init, with this exchange stick, "
	    "asks for the ceremony key's words, then initialises the server and "
	    "writes its answer." : NULL;
}

const struct ui_screen scr_result = {
	.title = "The server's answer",
	.step = "result",
	.help = "The appliance checks the bridge's answer before anyone touches "
	    "a share: it must be signed by the bridge, belong to this ceremony, "
	    "hold exactly one share per holder, each encrypted to that holder's "
	    "key alone, and the root token to the operator's key alone.",
	.init = result_init,
	.draw = result_draw,
	.key = result_key,
	.tick = result_tick,
	.waiting = result_waiting,
};
