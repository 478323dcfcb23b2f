#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "media/fountain.h"

#define FRAG 400

/* Deterministic test randomness (xorshift), so failures reproduce. */
static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static uint8_t *
make_message(size_t len, uint8_t salt)
{
	uint8_t *m = malloc(len);
	size_t i;

	assert_non_null(m);
	for (i = 0; i < len; i++)
		m[i] = (uint8_t)(i * 31 + salt + (i >> 8));
	return m;
}

static struct ftn_encoder *
make_encoder(const uint8_t *m, size_t len, size_t frag)
{
	struct ftn_encoder *e = NULL;

	assert_int_equal(ftn_encoder_new(m, len, frag, &e), CK_OK);
	return e;
}

static size_t
frame(const struct ftn_encoder *e, uint32_t index, uint8_t *buf)
{
	assert_int_equal(ftn_encoder_frame(e, index, buf, FTN_MAX_FRAME), CK_OK);
	return ftn_encoder_frame_len(e);
}

/* Recompute a frame's checksum as docs/qr.md specifies it. */
static void
reseal(uint8_t *buf, size_t len)
{
	uint8_t h[16];

	crypto_generichash(h, sizeof(h), buf, len - FTN_CHECK_LEN, NULL, 0);
	memcpy(buf + len - FTN_CHECK_LEN, h, FTN_CHECK_LEN);
}

static void
assert_message(const struct ftn_decoder *d, const uint8_t *m, size_t len)
{
	struct ftn_progress p;
	uint8_t *got = NULL;
	size_t glen = 0;

	ftn_decoder_progress(d, &p);
	assert_true(p.complete);
	assert_int_equal(p.recovered, p.fragments);
	assert_int_equal(ftn_decoder_message(d, &got, &glen), CK_OK);
	assert_int_equal(glen, len);
	assert_memory_equal(got, m, len);
	free(got);
}

/* Feed frames 0,1,2,... dropping loss_pct% at random; return frames fed. */
static uint32_t
feed_lossy(struct ftn_decoder *d, const struct ftn_encoder *e, int loss_pct,
    uint32_t limit)
{
	uint8_t buf[FTN_MAX_FRAME];
	struct ftn_progress p;
	uint32_t i, fed = 0;
	size_t n;

	for (i = 0; i < limit; i++) {
		if ((int)(rng() % 100) < loss_pct)
			continue;
		n = frame(e, i, buf);
		assert_int_equal(ftn_decoder_add(d, buf, n), CK_OK);
		fed++;
		ftn_decoder_progress(d, &p);
		if (p.complete)
			break;
	}
	return fed;
}

static void
round_trips_without_loss_use_exactly_k_frames(void **state)
{
	static const size_t sizes[] = { 1, 100, FRAG - FTN_DIGEST_LEN, 1024,
	    10 * 1024, 40 * 1024 };
	size_t s;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint8_t *m = make_message(sizes[s], (uint8_t)s);
		struct ftn_encoder *e = make_encoder(m, sizes[s], FRAG);
		struct ftn_decoder *d = NULL;
		uint32_t k = ftn_encoder_fragments(e);

		assert_int_equal(k, (sizes[s] + FTN_DIGEST_LEN + FRAG - 1) / FRAG);
		assert_int_equal(ftn_decoder_new(&d), CK_OK);
		assert_int_equal(feed_lossy(d, e, 0, 10 * k), k);
		assert_message(d, m, sizes[s]);
		ftn_decoder_free(d);
		ftn_encoder_free(e);
		free(m);
	}
}

static void
lossy_channel_decodes_with_little_overhead(void **state)
{
	size_t len = 10 * 1024;
	uint8_t *m = make_message(len, 7);
	struct ftn_encoder *e = make_encoder(m, len, FRAG);
	uint32_t k = ftn_encoder_fragments(e), fed, total = 0;
	int trial, loss;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (loss = 20; loss <= 60; loss += 20)
		for (trial = 0; trial < 10; trial++) {
			struct ftn_decoder *d = NULL;

			assert_int_equal(ftn_decoder_new(&d), CK_OK);
			fed = feed_lossy(d, e, loss, 100 * k);
			assert_message(d, m, len);
			/* GF(256) mixing: an extra frame is rarely needed. */
			assert_true(fed <= k + 2);
			total += fed;
			ftn_decoder_free(d);
		}
	assert_true(total <= 30 * k + 3);
	ftn_encoder_free(e);
	free(m);
}

static void
any_large_enough_subset_decodes(void **state)
{
	size_t len = 3000;
	uint8_t *m = make_message(len, 3), buf[FTN_MAX_FRAME];
	struct ftn_encoder *e = make_encoder(m, len, 200);
	uint32_t k = ftn_encoder_fragments(e), i, pick[64];
	struct ftn_progress p;
	int trial;
	size_t n;

	(void)state;
	rng_state = 12345;
	assert_true(k + 3 <= 64);
	for (trial = 0; trial < 20; trial++) {
		struct ftn_decoder *d = NULL;

		/* k+3 distinct frames anywhere among the first 4k (mixed or not);
		 * the first trial uses only mixed frames. */
		for (i = 0; i < k + 3; i++) {
			uint32_t j, c;
again:
			c = trial == 0 ? k + i : rng() % (4 * k);
			for (j = 0; j < i; j++)
				if (pick[j] == c)
					goto again;
			pick[i] = c;
		}
		assert_int_equal(ftn_decoder_new(&d), CK_OK);
		for (i = 0; i < k + 3; i++) {
			n = frame(e, pick[i], buf);
			assert_int_equal(ftn_decoder_add(d, buf, n), CK_OK);
		}
		ftn_decoder_progress(d, &p);
		assert_int_equal(p.frames_useful, k);
		assert_message(d, m, len);
		ftn_decoder_free(d);
	}
	ftn_encoder_free(e);
	free(m);
}

static void
interleaved_messages_are_refused_not_mixed(void **state)
{
	uint8_t *a = make_message(5000, 1), *b = make_message(5000, 2);
	struct ftn_encoder *ea = make_encoder(a, 5000, FRAG);
	struct ftn_encoder *eb = make_encoder(b, 5000, FRAG);
	struct ftn_decoder *da = NULL, *db = NULL;
	uint8_t buf[FTN_MAX_FRAME], id[FTN_ID_LEN];
	struct ftn_progress p;
	uint32_t i;
	size_t n;

	(void)state;
	assert_memory_not_equal(ftn_encoder_id(ea), ftn_encoder_id(eb), FTN_ID_LEN);
	assert_int_equal(ftn_decoder_new(&da), CK_OK);
	assert_int_equal(ftn_decoder_new(&db), CK_OK);
	assert_int_equal(ftn_decoder_id(da, id), CK_ERR_STATE);
	n = frame(eb, 0, buf);
	assert_int_equal(ftn_decoder_add(db, buf, n), CK_OK);
	for (i = 0; i < ftn_encoder_fragments(ea); i++) {
		n = frame(ea, i, buf);
		assert_int_equal(ftn_decoder_add(da, buf, n), CK_OK);
		assert_int_equal(ftn_decoder_add(db, buf, n), CK_ERR_QR_OTHER_MESSAGE);
		n = frame(eb, i + 1, buf);
		assert_int_equal(ftn_decoder_add(da, buf, n), CK_ERR_QR_OTHER_MESSAGE);
		assert_int_equal(ftn_decoder_add(db, buf, n), CK_OK);
	}
	assert_message(da, a, 5000);
	assert_message(db, b, 5000);
	ftn_decoder_progress(da, &p);
	assert_int_equal(p.frames_rejected, ftn_encoder_fragments(ea));
	assert_int_equal(ftn_decoder_id(da, id), CK_OK);
	assert_memory_equal(id, ftn_encoder_id(ea), FTN_ID_LEN);
	ftn_decoder_free(da);
	ftn_decoder_free(db);
	ftn_encoder_free(ea);
	ftn_encoder_free(eb);
	free(a);
	free(b);
}

static void
duplicates_are_idempotent(void **state)
{
	uint8_t *m = make_message(2000, 5), buf[FTN_MAX_FRAME];
	struct ftn_encoder *e = make_encoder(m, 2000, FRAG);
	struct ftn_decoder *d = NULL;
	uint32_t k = ftn_encoder_fragments(e), i;
	struct ftn_progress p;
	int rep;
	size_t n;

	(void)state;
	assert_int_equal(ftn_decoder_new(&d), CK_OK);
	for (i = 0; i + 1 < k; i++)
		for (rep = 0; rep < 3; rep++) {
			n = frame(e, i, buf);
			assert_int_equal(ftn_decoder_add(d, buf, n), CK_OK);
			n = frame(e, k + 5, buf);
			assert_int_equal(ftn_decoder_add(d, buf, n), CK_OK);
		}
	ftn_decoder_progress(d, &p);
	assert_int_equal(p.frames_seen, 6 * (k - 1));
	assert_int_equal(p.recovered, k);	/* the mixed frame filled the gap */
	assert_int_equal(p.frames_useful, k);
	assert_message(d, m, 2000);
	n = frame(e, 0, buf);
	assert_int_equal(ftn_decoder_add(d, buf, n), CK_OK);
	assert_message(d, m, 2000);
	ftn_decoder_free(d);
	ftn_encoder_free(e);
	free(m);
}

static void
truncated_and_corrupted_frames_are_refused(void **state)
{
	uint8_t *m = make_message(1500, 9), buf[FTN_MAX_FRAME], bad[FTN_MAX_FRAME + 1];
	struct ftn_encoder *e = make_encoder(m, 1500, 100);
	struct ftn_decoder *d = NULL;
	struct ftn_frame f;
	size_t n = frame(e, 3, buf), len, i;
	int r;

	(void)state;
	assert_int_equal(ftn_frame_parse(buf, n, &f), CK_OK);
	assert_int_equal(f.index, 3);
	assert_int_equal(f.msglen, 1500);
	for (len = 0; len < n; len++) {
		r = ftn_frame_parse(buf, len, &f);
		assert_int_equal(r, CK_ERR_TRUNCATED);
	}
	memcpy(bad, buf, n);
	bad[n] = 0;
	assert_int_equal(ftn_frame_parse(bad, n + 1, &f), CK_ERR_TRAILING);
	for (i = 0; i < n; i++) {
		memcpy(bad, buf, n);
		bad[i] ^= 0x20;
		r = ftn_frame_parse(bad, n, &f);
		if (i < 2)
			assert_int_equal(r, CK_ERR_BAD_MAGIC);
		else if (i == 2)
			assert_int_equal(r, CK_ERR_BAD_VERSION);
		else if (i >= 11 && i < 17)
			assert_int_not_equal(r, CK_OK);	/* a length field */
		else
			assert_int_equal(r, CK_ERR_QR_CHECKSUM);
	}
	/* The decoder counts refusals and is not disturbed by them. */
	assert_int_equal(ftn_decoder_new(&d), CK_OK);
	bad[0] = 'X';
	assert_int_equal(ftn_decoder_add(d, bad, n), CK_ERR_BAD_MAGIC);
	assert_int_equal(ftn_decoder_add(d, buf, n - 1), CK_ERR_TRUNCATED);
	assert_int_equal(feed_lossy(d, e, 0, 1000), ftn_encoder_fragments(e));
	assert_message(d, m, 1500);
	ftn_decoder_free(d);
	ftn_encoder_free(e);
	free(m);
}

static void
absurd_lengths_are_refused_at_once(void **state)
{
	uint8_t *m = make_message(500, 4), buf[FTN_MAX_FRAME];
	struct ftn_encoder *e = make_encoder(m, 500, 64), *none = NULL;
	struct ftn_frame f;
	uint32_t k;
	size_t n = frame(e, 0, buf);

	(void)state;
	/* msglen 0xffffffff with a valid checksum */
	memset(buf + 11, 0xff, 4);
	reseal(buf, n);
	assert_int_equal(ftn_frame_parse(buf, n, &f), CK_ERR_TOO_LARGE);
	/* just over the message limit */
	buf[11] = 0x00; buf[12] = 0x10; buf[13] = 0x00; buf[14] = 0x01;
	reseal(buf, n);
	assert_int_equal(ftn_frame_parse(buf, n, &f), CK_ERR_TOO_LARGE);
	/* 1 MiB at 16-byte fragments: too many fragments */
	buf[11] = 0x00; buf[12] = 0x10; buf[13] = 0x00; buf[14] = 0x00;
	buf[15] = 0; buf[16] = 16;
	reseal(buf, n);
	assert_int_equal(ftn_frame_parse(buf, n, &f), CK_ERR_TOO_LARGE);
	/* fragment length claims beyond the limit and below it */
	frame(e, 0, buf);
	buf[15] = 0xff; buf[16] = 0xff;
	reseal(buf, n);
	assert_int_equal(ftn_frame_parse(buf, n, &f), CK_ERR_TOO_LARGE);
	buf[15] = 0; buf[16] = 0;
	reseal(buf, n);
	assert_int_equal(ftn_frame_parse(buf, n, &f), CK_ERR_FORMAT);
	/* message length zero */
	frame(e, 0, buf);
	memset(buf + 11, 0, 4);
	reseal(buf, n);
	assert_int_equal(ftn_frame_parse(buf, n, &f), CK_ERR_FORMAT);
	/* a receiver's own, tighter limit (e.g. the envelope size) */
	{
		struct ftn_decoder *d = NULL;

		frame(e, 0, buf);
		assert_int_equal(ftn_decoder_new(&d), CK_OK);
		ftn_decoder_set_limit(d, 499);
		assert_int_equal(ftn_decoder_add(d, buf, n), CK_ERR_TOO_LARGE);
		ftn_decoder_set_limit(d, 500);
		assert_int_equal(ftn_decoder_add(d, buf, n), CK_OK);
		ftn_decoder_free(d);
	}
	/* the encoder holds itself to the same limits */
	assert_int_equal(ftn_encoder_new(m, FTN_MAX_MESSAGE + 1, 400, &none),
	    CK_ERR_TOO_LARGE);
	assert_int_equal(ftn_encoder_new(m, 500, FTN_MIN_FRAGMENT - 1, &none),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(ftn_encoder_new(m, 0, 400, &none), CK_ERR_INVALID_ARG);
	assert_null(none);
	assert_int_equal(ftn_fragment_count(FTN_MAX_MESSAGE, 16, &k), CK_ERR_TOO_LARGE);
	assert_int_equal(ftn_fragment_count(FTN_MAX_MESSAGE, 400, &k), CK_OK);
	assert_int_equal(k, (FTN_MAX_MESSAGE + FTN_DIGEST_LEN + 399) / 400);
	ftn_encoder_free(e);
	free(m);
}

static void
lying_frames_are_caught(void **state)
{
	uint8_t *m = make_message(1000, 6), buf[FTN_MAX_FRAME];
	struct ftn_encoder *e = make_encoder(m, 1000, FRAG);
	struct ftn_decoder *d = NULL;
	struct ftn_progress p;
	uint32_t k = ftn_encoder_fragments(e), i;
	size_t n;

	(void)state;
	assert_int_equal(ftn_decoder_new(&d), CK_OK);
	n = frame(e, 0, buf);
	assert_int_equal(ftn_decoder_add(d, buf, n), CK_OK);
	/* same id, another length: refused */
	n = frame(e, 1, buf);
	buf[14] ^= 1;
	reseal(buf, n);
	assert_int_equal(ftn_decoder_add(d, buf, n), CK_ERR_QR_INCONSISTENT);
	/* a payload altered under a recomputed checksum: digest fails */
	for (i = 1; i < k; i++) {
		n = frame(e, i, buf);
		if (i == k - 1) {
			buf[FTN_HEADER_LEN] ^= 1;
			reseal(buf, n);
			assert_int_equal(ftn_decoder_add(d, buf, n), CK_ERR_QR_DIGEST);
		} else {
			assert_int_equal(ftn_decoder_add(d, buf, n), CK_OK);
		}
	}
	ftn_decoder_progress(d, &p);
	assert_false(p.complete);
	assert_int_equal(p.recovered, 0);	/* started over */
	assert_int_equal(feed_lossy(d, e, 0, 100), k);
	assert_message(d, m, 1000);
	ftn_decoder_free(d);
	ftn_encoder_free(e);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trips_without_loss_use_exactly_k_frames),
		cmocka_unit_test(lossy_channel_decodes_with_little_overhead),
		cmocka_unit_test(any_large_enough_subset_decodes),
		cmocka_unit_test(interleaved_messages_are_refused_not_mixed),
		cmocka_unit_test(duplicates_are_idempotent),
		cmocka_unit_test(truncated_and_corrupted_frames_are_refused),
		cmocka_unit_test(absurd_lengths_are_refused_at_once),
		cmocka_unit_test(lying_frames_are_caught),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
