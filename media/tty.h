/*
 * The terminal as a medium for secrets: PINs, passphrases and tokens typed
 * by people (echo off), or handed over on a file
 * descriptor by a test or a rehearsal script: never argv, never env.
 */
#ifndef CONCLAVE_TTY_H
#define CONCLAVE_TTY_H

#include <stddef.h>
#include <stdio.h>

#define TTY_SECRET_MAX	1024

/*
 * One line into secmem (*out, NUL-terminated, free with secmem_free),
 * without its newline. fd >= 0: read from that descriptor. fd < 0: ask on
 * /dev/tty with echo off, showing prompt. CK_ERR_TOO_LARGE past
 * TTY_SECRET_MAX, CK_ERR_IO when there is no terminal or input ends
 * before a newline with nothing read.
 */
int tty_read_secret(const char *prompt, int fd, char **out)
    __attribute__((warn_unused_result));

/*
 * One line typed on /dev/tty with echo on, after prompt, into buf (max
 * bytes with the NUL), without its newline: for what people type that is
 * no secret (words read aloud to compare). CK_ERR_IO when there is no
 * terminal or input ends with nothing read, CK_ERR_TOO_LARGE past max.
 */
int tty_ask(const char *prompt, char *buf, size_t max)
    __attribute__((warn_unused_result));

/*
 * Show a secret (a token the ceremony hands to one person) on fd as one
 * line, indent first, with write(2) straight from the caller's (secure,
 * wiped) memory: it never passes through a FILE * buffer, which nobody
 * wipes. stdout is flushed first so the text printed before it stays
 * before it. CK_ERR_IO when the write fails.
 */
int tty_write_secret(int fd, const char *indent, const char *secret, size_t len)
    __attribute__((warn_unused_result));

/*
 * text as lines of at most width columns (a UTF-8 character is one
 * column), broken at spaces where it can be and inside a word where it
 * cannot; every line after the first starts with indent spaces (indent <
 * width). Lines end in '\n' but the last. malloc'd (free()); NULL when
 * out of memory or width <= indent. *lines (may be NULL): how many.
 * For every status, error and help line on an 80-column terminal.
 */
#define TTY_COLS	80
char *tty_wrap(const char *text, size_t width, size_t indent, size_t *lines);

/* The columns text takes, counted as tty_wrap counts them (a UTF-8
 * character is one); tty_cols_n: of its first n bytes at most. */
size_t tty_cols(const char *text);
size_t tty_cols_n(const char *text, size_t n);
/* The bytes of text's longest start that takes at most cols columns. */
size_t tty_bytes_for(const char *text, size_t cols);

/*
 * fprintf(f, fmt, ...) as prose people read on an 80-column terminal:
 * each line of the text (its '\n's kept) wrapped by tty_wrap within
 * TTY_COLS, the lines it breaks off indented 2. For every status and
 * error line of the bridge and the appliance's commands; never for a
 * secret (the text passes through f's buffer). Out of memory: a line
 * unwrapped, or nothing when the text cannot be formatted.
 */
void tty_printw(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * text that is copied rather than read (the base64 of an encrypted
 * token) to f in lines of TTY_COPY_COLS, no indent, a newline after the
 * last: the lines copied as they are decode as they are (base64 -d skips
 * newlines, not spaces).
 */
#define TTY_COPY_COLS	76
void tty_print_copyable(FILE *f, const char *text);

/*
 * A shell command for people to copy and run (cmd: words separated by
 * spaces, a double-quoted part one word), indented 2, as lines within
 * TTY_COLS that a shell runs as that one command: each break is a
 * backslash-newline, between words where it can be (the next line
 * indented 4), inside a word that no line holds (the rest from column 0,
 * where the shell joins it to the word again, quoted or not). A
 * backslash escapes the character after it, as in the shell.
 */
void tty_print_command(FILE *f, const char *cmd);

#endif
