#include "media/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "crypto/errors.h"
#include "crypto/secmem.h"

/* Byte by byte, so nothing past the newline is consumed from a shared fd. */
static int
read_line(int fd, char *buf, size_t max, size_t *lenp)
{
	size_t len = 0;
	ssize_t n;
	char c;

	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0)
			return CK_ERR_IO;
		if (n == 0 || c == '\n')
			break;
		if (len + 1 >= max)
			return CK_ERR_TOO_LARGE;
		buf[len++] = c;
	}
	if (n == 0 && len == 0)
		return CK_ERR_IO;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	*lenp = len;
	return CK_OK;
}

int
tty_read_secret(const char *prompt, int fd, char **out)
{
	struct termios old, quiet;
	char *buf = NULL;
	size_t len = 0;
	int tty = -1, restore = 0, r = CK_ERR_INTERNAL;

	*out = NULL;
	if ((buf = secmem_alloc(TTY_SECRET_MAX)) == NULL)
		return CK_ERR_ALLOC;
	if (fd < 0) {
		if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
			r = CK_ERR_IO;
			goto out;
		}
		if (tcgetattr(tty, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
			quiet.c_lflag |= ICANON;
			restore = tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
		}
		if (write(tty, prompt, strlen(prompt)) < 0) {
			r = CK_ERR_IO;
			goto out;
		}
		fd = tty;
	}
	if ((r = read_line(fd, buf, TTY_SECRET_MAX, &len)) != CK_OK)
		goto out;
	*out = buf;
	buf = NULL;
	r = CK_OK;
out:
	if (restore) {
		(void)tcsetattr(tty, TCSAFLUSH, &old);
		if (write(tty, "\n", 1) < 0) {
			/* the newline after a hidden entry is cosmetic */
		}
	}
	if (tty >= 0)
		close(tty);
	secmem_free(buf);
	return r;
}

int
tty_ask(const char *prompt, char *buf, size_t max)
{
	size_t len = 0;
	int tty, r;

	if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return CK_ERR_IO;
	if (write(tty, prompt, strlen(prompt)) < 0)
		r = CK_ERR_IO;
	else
		r = read_line(tty, buf, max, &len);
	close(tty);
	return r;
}

int
tty_write_secret(int fd, const char *indent, const char *secret, size_t len)
{
	const char *part[3] = { indent, secret, "\n" };
	size_t n[3] = { strlen(indent), len, 1 }, i, done;
	ssize_t w;

	/* Whatever stdio holds goes first, so the text around it keeps its order. */
	fflush(stdout);
	for (i = 0; i < 3; i++)
		for (done = 0; done < n[i]; done += (size_t)w)
			if ((w = write(fd, part[i] + done, n[i] - done)) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				return CK_ERR_IO;
			}
	return CK_OK;
}

size_t
tty_bytes_for(const char *p, size_t cols)
{
	size_t i = 0, c = 0;

	while (p[i] != '\0') {
		if (((unsigned char)p[i] & 0xc0) != 0x80 && c++ == cols)
			break;
		i++;
	}
	return i;
}

size_t
tty_cols_n(const char *text, size_t n)
{
	size_t c = 0, i;

	for (i = 0; i < n && text[i] != '\0'; i++)
		c += ((unsigned char)text[i] & 0xc0) != 0x80;
	return c;
}

size_t
tty_cols(const char *text)
{
	return tty_cols_n(text, strlen(text));
}

char *
tty_wrap(const char *text, size_t width, size_t indent, size_t *lines)
{
	size_t len = strlen(text), cap, used = 0, n = 0, start, take, w;
	const char *p = text;
	char *out;

	if (lines != NULL)
		*lines = 0;
	if (width <= indent)
		return NULL;
	/* Each break adds at most indent spaces and a newline. */
	cap = len + (len / (width - indent) + 2) * (indent + 1) + 1;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	do {
		if (n > 0) {
			out[used++] = '\n';
			memset(out + used, ' ', indent);
			used += indent;
		}
		start = used;
		take = tty_bytes_for(p, n == 0 ? width : width - indent);
		/* Break at the last space that fits, if there is one. */
		if (p[take] != '\0' && p[take] != ' ') {
			for (w = take; w > 0 && p[w] != ' '; w--)
				;
			if (w > 0)
				take = w;
		}
		memcpy(out + used, p, take);
		used += take;
		while (used > start && out[used - 1] == ' ')
			used--;
		for (p += take; *p == ' '; p++)
			;
		n++;
	} while (*p != '\0');
	out[used] = '\0';
	if (lines != NULL)
		*lines = n;
	return out;
}

void
tty_printw(FILE *f, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL, *para, *nl, *w;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	/* A line at a time: a hard break starts the next at column 0. */
	for (para = text; *para != '\0'; para = nl != NULL ? nl + 1 : "") {
		if ((nl = strchr(para, '\n')) != NULL)
			*nl = '\0';
		/* One that fits is left as it is (a prompt keeps its space). */
		w = tty_cols(para) > TTY_COLS ?
		    tty_wrap(para, TTY_COLS, 2, NULL) : NULL;
		fprintf(f, "%s%s", w != NULL ? w : para,
		    nl != NULL ? "\n" : "");
		free(w);
	}
	free(text);
}

/* The bytes of cmd's next word: up to a space outside double quotes. */
static size_t
word_len(const char *p)
{
	size_t i;
	int quoted = 0;

	for (i = 0; p[i] != '\0' && (quoted || p[i] != ' '); i++) {
		if (p[i] == '\\' && p[i + 1] != '\0')
			i++;	/* an escaped character */
		else if (p[i] == '"')
			quoted = !quoted;
	}
	return i;
}

/* Whether p's first n bytes end in an escaping backslash. */
static int
escaped_at_end(const char *p, size_t n)
{
	size_t k = 0;

	while (k < n && p[n - 1 - k] == '\\')
		k++;
	return k % 2 == 1;
}

void
tty_print_command(FILE *f, const char *cmd)
{
	const char *p = cmd;
	size_t col = 2, n, cols, take;

	fputs("  ", f);
	while (*p != '\0') {
		n = word_len(p);
		cols = tty_cols_n(p, n);
		/* Room is kept for " \\" at the end of every line but the last. */
		if (col > 4 && col + 1 + cols + 2 > TTY_COLS) {
			fputs(" \\\n    ", f);
			col = 4;
		} else if (p != cmd) {
			fputc(' ', f);
			col++;
		}
		while (col + cols + 2 > TTY_COLS) {
			take = tty_bytes_for(p, TTY_COLS - 1 - col);
			if (escaped_at_end(p, take))
				take--;	/* never between a backslash and its character */
			fprintf(f, "%.*s\\\n", (int)take, p);
			p += take;
			n -= take;
			cols = tty_cols_n(p, n);
			col = 0;
		}
		fprintf(f, "%.*s", (int)n, p);
		col += cols;
		for (p += n; *p == ' '; p++)
			;
	}
	fputc('\n', f);
}

void
tty_print_copyable(FILE *f, const char *text)
{
	char *w = tty_wrap(text, TTY_COPY_COLS, 0, NULL);

	fprintf(f, "%s\n", w != NULL ? w : text);
	free(w);
}
