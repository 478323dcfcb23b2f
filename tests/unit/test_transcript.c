#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "protocol/minisig.h"
#include "tests/unit/helper_transcript.h"

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 20);

	assert_non_null(fp);
	*len = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	return buf;
}

static void
spill(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
sig_path(const struct tx_fixture *f, char *out, size_t max, const char *suffix)
{
	snprintf(out, max, "%s%s", f->path, suffix);
}

/* n ordinary events, each with an envelope hash in (and every other out). */
static void
append_events(struct transcript *t, int n)
{
	uint8_t h[2][TRANSCRIPT_HASH_BYTES];
	int i;

	for (i = 0; i < n; i++) {
		struct transcript_event ev = {
			.type = "share-proven", .actor = "holder 2",
			.in = h, .n_in = 1, .out = h + 1, .n_out = i % 2,
		};

		randombytes_buf(h, sizeof(h));
		ev.details = json_pack("{sisss{sb}}", "holder", i,
		    "commitment", "3f2a", "proof", "ok", 1);
		assert_int_equal(transcript_append(t, &ev), CK_OK);
		json_decref(ev.details);
	}
}

/* A closed, signed transcript of 2 + n records at f->path. */
static void
write_closed(struct tx_fixture *f, int n, const uint8_t *prev, uint8_t *head)
{
	struct transcript *t = NULL;
	json_t *d = json_pack("{ssss}", "ceremony", "unseal", "cluster", "c1");

	assert_int_equal(transcript_open(&t, f->path, "operator", d, prev,
	    f->sk), CK_OK);
	json_decref(d);
	append_events(t, n);
	assert_int_equal(transcript_close(t, "operator", head), CK_OK);
	transcript_free(t);
}

static void
chain_links_every_line(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript_report rep;
	struct minisig_pubkey pk;
	uint8_t head[TRANSCRIPT_HASH_BYTES], h[TRANSCRIPT_HASH_BYTES];
	char hex[TRANSCRIPT_HEX_LEN + 1], want[80], *line, *nl;
	size_t len;
	uint8_t *buf;
	int n = 0;

	write_closed(f, 3, NULL, head);
	assert_int_equal(transcript_verify(f->path, NULL, &rep), CK_OK);
	assert_int_equal(rep.records, 5);
	assert_int_equal(rep.resumes, 0);
	assert_true(rep.closed);
	assert_memory_equal(rep.head, head, sizeof(head));
	minisig_pubkey_from_sk(&pk, f->sk);
	assert_memory_equal(&rep.key, &pk, sizeof(pk));
	/* Recompute the chain independently: prev = BLAKE2b-256(line + '\n'). */
	buf = slurp(f->path, &len);
	memset(h, 0, sizeof(h));
	for (line = (char *)buf; line < (char *)buf + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)((char *)buf + len - line));
		assert_non_null(nl);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		snprintf(want, sizeof(want), "\"prev\":\"%s\"}", hex);
		assert_int_equal(memcmp(nl - strlen(want), want, strlen(want)), 0);
		assert_int_equal(memcmp(line, "{\"seq\":", 7), 0);
		crypto_generichash(h, sizeof(h), (uint8_t *)line,
		    (size_t)(nl - line) + 1, NULL, 0);
		n++;
	}
	assert_int_equal(n, 5);
	assert_memory_equal(h, head, sizeof(h));
	free(buf);
}

static void
closed_transcript_refuses_appends(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript *t = NULL;
	struct transcript_event ev = { .type = "late", .actor = "someone" };

	assert_int_equal(transcript_open(&t, f->path, "operator", NULL, NULL,
	    f->sk), CK_OK);
	assert_int_equal(transcript_close(t, "operator", NULL), CK_OK);
	assert_int_equal(transcript_append(t, &ev), CK_ERR_CLOSED);
	assert_int_equal(transcript_close(t, "operator", NULL), CK_ERR_CLOSED);
	transcript_free(t);
	assert_int_equal(transcript_resume(&t, f->path, "operator", f->sk),
	    CK_ERR_CLOSED);
	assert_null(t);
	/* An existing file is never opened anew. */
	assert_int_equal(transcript_open(&t, f->path, "operator", NULL, NULL,
	    f->sk), CK_ERR_EXISTS);
}

static void
resume_cuts_a_torn_line_and_continues(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript *t = NULL;
	struct transcript_report rep;
	unsigned char pk2[MINISIG_PK_BYTES], sk2[MINISIG_SK_BYTES];
	struct minisig_pubkey key2;
	uint8_t *buf, *after;
	size_t len, len2;
	FILE *fp;

	assert_int_equal(transcript_open(&t, f->path, "operator", NULL, NULL,
	    f->sk), CK_OK);
	append_events(t, 2);
	{
		struct transcript *second = NULL;

		/* One writer at a time. */
		assert_int_equal(transcript_resume(&second, f->path, "operator",
		    f->sk), CK_ERR_BUSY);
		assert_null(second);
	}
	transcript_free(t);	/* the process dies: no close record */
	t = NULL;
	buf = slurp(f->path, &len);
	assert_int_equal(transcript_verify(f->path, NULL, &rep),
	    CK_ERR_TRUNCATED);
	assert_int_equal(rep.bad_line, 4);
	/* The power goes while record 3 is half written. */
	fp = fopen(f->path, "ab");
	fputs("{\"seq\":3,\"time\":\"2026-", fp);
	fclose(fp);
	assert_int_equal(transcript_verify(f->path, NULL, &rep),
	    CK_ERR_TRUNCATED);
	assert_int_equal(rep.bad_line, 4);
	/* A new process with a new ceremony key picks the journal up. */
	crypto_sign_keypair(pk2, sk2);
	assert_int_equal(transcript_resume(&t, f->path, "operator", sk2), CK_OK);
	after = slurp(f->path, &len2);
	assert_true(len2 > len);
	assert_memory_equal(after, buf, len);	/* the complete records kept */
	assert_non_null(strstr((char *)after + len, "\"type\":\"resume\""));
	append_events(t, 1);
	assert_int_equal(transcript_close(t, "operator", NULL), CK_OK);
	transcript_free(t);
	assert_int_equal(transcript_verify(f->path, NULL, &rep), CK_OK);
	assert_int_equal(rep.records, 3 + 1 + 1 + 1);
	assert_int_equal(rep.resumes, 1);
	/* Signed by the key the resume record announced. */
	minisig_pubkey_from_sk(&key2, sk2);
	assert_memory_equal(&rep.key, &key2, sizeof(key2));
	assert_int_equal(transcript_verify(f->path, &key2, &rep), CK_OK);
	sodium_memzero(sk2, sizeof(sk2));
	free(buf);
	free(after);
}

static void
resume_refuses_a_damaged_journal(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript *t = NULL;
	uint8_t *buf, *after;
	size_t len, len2;

	assert_int_equal(transcript_open(&t, f->path, "operator", NULL, NULL,
	    f->sk), CK_OK);
	append_events(t, 2);
	transcript_free(t);
	t = NULL;
	buf = slurp(f->path, &len);
	*(char *)memmem(buf, len, "holder 2", 8) = 'H';
	spill(f->path, buf, len);
	assert_int_equal(transcript_resume(&t, f->path, "operator", f->sk),
	    CK_ERR_CHAIN);
	assert_null(t);
	after = slurp(f->path, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(after, buf, len);
	free(buf);
	free(after);
}

static void
failed_write_is_cut_back_and_stops_appends(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript *t = NULL;
	struct transcript_event ev = { .type = "big", .actor = "op" };
	struct rlimit old, lim;
	uint8_t *before, *after;
	size_t len, len2;
	char pad[2000];
	int e;

	assert_int_equal(transcript_open(&t, f->path, "operator", NULL, NULL,
	    f->sk), CK_OK);
	append_events(t, 1);
	before = slurp(f->path, &len);
	/* The medium fills up in the middle of the next record. */
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	ev.details = json_pack("{ss}", "pad", pad);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = len + 100;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	e = transcript_append(t, &ev);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(e, CK_ERR_IO);
	after = slurp(f->path, &len2);
	assert_int_equal(len2, len);	/* the partial record was cut off */
	assert_memory_equal(after, before, len);
	/* This handle no longer knows the file: it refuses to go on. */
	assert_int_equal(transcript_append(t, &ev), CK_ERR_STATE);
	json_decref(ev.details);
	transcript_free(t);
	t = NULL;
	assert_int_equal(transcript_resume(&t, f->path, "operator", f->sk),
	    CK_OK);
	assert_int_equal(transcript_close(t, "operator", NULL), CK_OK);
	transcript_free(t);
	free(before);
	free(after);
}

static void
previous_transcript_links_ceremonies(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript_report rep;
	uint8_t head1[TRANSCRIPT_HASH_BYTES], head2[TRANSCRIPT_HASH_BYTES];
	char hex[TRANSCRIPT_HEX_LEN + 1], want[100], first[128];
	uint8_t *buf;
	size_t len;

	write_closed(f, 1, NULL, head1);
	snprintf(first, sizeof(first), "%s", f->path);
	snprintf(f->path, sizeof(f->path), "%s/second.jsonl", f->dir);
	write_closed(f, 1, head1, head2);
	assert_int_equal(transcript_verify(f->path, NULL, &rep), CK_OK);
	buf = slurp(f->path, &len);
	sodium_bin2hex(hex, sizeof(hex), head1, sizeof(head1));
	snprintf(want, sizeof(want), "\"previous_transcript\":\"%s\"", hex);
	assert_non_null(memmem(buf, len, want, strlen(want)));
	snprintf(want, sizeof(want), "\"prev\":\"%s\"}\n", hex);
	assert_non_null(memmem(buf, len, want, strlen(want)));
	free(buf);
	snprintf(f->path, sizeof(f->path), "%s", first);
}

static void
bad_events_are_refused(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript *t = NULL;
	struct transcript_event ev = { .type = "step", .actor = "op" };
	uint8_t h[1][TRANSCRIPT_HASH_BYTES] = { { 0 } };
	json_t *d;

	d = json_pack("{ss}", "pubkey", "mine");
	assert_int_equal(transcript_open(&t, f->path, "operator", d, NULL,
	    f->sk), CK_ERR_INVALID_ARG);
	json_decref(d);
	assert_int_equal(access(f->path, F_OK), -1);	/* nothing left behind */
	assert_int_equal(transcript_open(&t, f->path, "operator", NULL, NULL,
	    f->sk), CK_OK);
	ev.type = "close";
	assert_int_equal(transcript_append(t, &ev), CK_ERR_INVALID_ARG);
	ev.type = "Step 1";
	assert_int_equal(transcript_append(t, &ev), CK_ERR_INVALID_ARG);
	ev.type = "step";
	ev.actor = "op\x1b[2J";
	assert_int_equal(transcript_append(t, &ev), CK_ERR_INVALID_ARG);
	ev.actor = "";
	assert_int_equal(transcript_append(t, &ev), CK_ERR_INVALID_ARG);
	ev.actor = "op";
	ev.details = json_pack("{ss}", "label", "a\nb");
	assert_int_equal(transcript_append(t, &ev), CK_ERR_INVALID_ARG);
	json_decref(ev.details);
	ev.details = json_pack("{sf}", "ratio", 0.5);
	assert_int_equal(transcript_append(t, &ev), CK_ERR_INVALID_ARG);
	json_decref(ev.details);
	ev.details = json_pack("[i]", 1);
	assert_int_equal(transcript_append(t, &ev), CK_ERR_INVALID_ARG);
	json_decref(ev.details);
	ev.details = NULL;
	ev.in = h;
	ev.n_in = TRANSCRIPT_MAX_HASHES + 1;
	assert_int_equal(transcript_append(t, &ev), CK_ERR_INVALID_ARG);
	ev.n_in = 1;
	assert_int_equal(transcript_append(t, &ev), CK_OK);
	transcript_free(t);
}

static void
verify_names_missing_signature_and_wrong_key(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript_report rep;
	struct minisig_pubkey other;
	unsigned char pk[MINISIG_PK_BYTES], sk[MINISIG_SK_BYTES];
	char p[160];

	write_closed(f, 1, NULL, NULL);
	crypto_sign_keypair(pk, sk);
	minisig_pubkey_from_sk(&other, sk);
	sodium_memzero(sk, sizeof(sk));
	assert_int_equal(transcript_verify(f->path, &other, &rep),
	    CK_ERR_WRONG_KEY);
	sig_path(f, p, sizeof(p), ".pub");
	assert_int_equal(transcript_load_pubkey(p, &other), CK_OK);
	assert_int_equal(transcript_verify(f->path, &other, &rep), CK_OK);
	sig_path(f, p, sizeof(p), ".minisig");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(transcript_verify(f->path, NULL, &rep),
	    CK_ERR_NOT_FOUND);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(transcript_verify(f->path, NULL, &rep), CK_ERR_SYMLINK);
}

/* Every way of damaging a closed transcript must fail verification. */
struct mut {
	const uint8_t *sig;
	size_t siglen;
	unsigned long tried, detected;
};

static void
try_mutant(struct mut *m, const uint8_t *buf, size_t len)
{
	struct transcript_report rep;

	m->tried++;
	if (transcript_verify_buf(buf, len, m->sig, m->siglen, NULL, &rep) !=
	    CK_OK)
		m->detected++;
	else
		print_error("undetected mutant (%zu bytes, %zu-byte signature)\n",
		    len, m->siglen);
}

/* Offsets of the line starts; starts[n] is len. */
static size_t
line_starts(const uint8_t *buf, size_t len, size_t *starts, size_t max)
{
	size_t n = 0, i;

	starts[n++] = 0;
	for (i = 0; i < len && n < max; i++)
		if (buf[i] == '\n')
			starts[n++] = i + 1;
	return n - 1;
}

static void
every_mutation_is_detected(void **state)
{
	static const uint8_t flips[] = { 0x01, 0x02, 0x20, 0x80 };
	struct tx_fixture *f = *state;
	struct transcript_report rep;
	size_t len, siglen, n, i, j, k, starts[32], pos, l;
	uint8_t *buf, *sig, *mut;
	struct mut m = { 0 };
	char p[160];

	write_closed(f, 4, NULL, NULL);
	buf = slurp(f->path, &len);
	sig_path(f, p, sizeof(p), ".minisig");
	sig = slurp(p, &siglen);
	m.sig = sig;
	m.siglen = siglen;
	assert_int_equal(transcript_verify_buf(buf, len, sig, siglen, NULL, &rep),
	    CK_OK);
	mut = malloc(2 * len);
	/* Every byte, several new values each, including a newline. */
	for (i = 0; i < len; i++) {
		memcpy(mut, buf, len);
		for (k = 0; k < sizeof(flips); k++) {
			mut[i] = buf[i] ^ flips[k];
			try_mutant(&m, mut, len);
		}
		if (buf[i] != '\n') {
			mut[i] = '\n';
			try_mutant(&m, mut, len);
		}
	}
	/* Every truncation. */
	for (i = 0; i < len; i++)
		try_mutant(&m, buf, i);
	/* Every record dropped, doubled, and every adjacent pair swapped. */
	n = line_starts(buf, len, starts, 32);
	for (j = 0; j < n; j++) {
		l = starts[j + 1] - starts[j];
		memcpy(mut, buf, starts[j]);
		memcpy(mut + starts[j], buf + starts[j + 1], len - starts[j + 1]);
		try_mutant(&m, mut, len - l);
		memcpy(mut, buf, starts[j + 1]);
		memcpy(mut + starts[j + 1], buf + starts[j], len - starts[j]);
		try_mutant(&m, mut, len + l);
		if (j + 1 < n) {
			pos = starts[j];
			memcpy(mut, buf, len);
			memcpy(mut + pos, buf + starts[j + 1],
			    starts[j + 2] - starts[j + 1]);
			memcpy(mut + pos + starts[j + 2] - starts[j + 1],
			    buf + starts[j], l);
			try_mutant(&m, mut, len);
		}
	}
	/* The signature's signed lines (the untrusted comment is not). */
	pos = (size_t)((uint8_t *)memchr(sig, '\n', siglen) - sig) + 1;
	for (i = pos; i < siglen; i++) {
		for (k = 0; k < sizeof(flips); k++) {
			memcpy(mut, sig, siglen);
			mut[i] ^= flips[k];
			m.sig = mut;
			try_mutant(&m, buf, len);
			m.sig = sig;
		}
	}
	print_message("mutation: %lu mutants, %lu detected (%zu-byte transcript "
	    "of %zu records)\n", m.tried, m.detected, len, n);
	assert_int_equal(m.detected, m.tried);
	free(mut);
	free(buf);
	free(sig);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(chain_links_every_line, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(closed_transcript_refuses_appends, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(resume_cuts_a_torn_line_and_continues, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(resume_refuses_a_damaged_journal, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(failed_write_is_cut_back_and_stops_appends, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(previous_transcript_links_ceremonies, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(bad_events_are_refused, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(verify_names_missing_signature_and_wrong_key, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(every_mutation_is_detected, tx_setup, tx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
