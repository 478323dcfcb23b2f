/*
 * make bench-stick: the stick check before a holder's PIN (ceremony/init.c
 * init_stick_check), which names the key a secret key file brings.
 * Per fixture key (tests/vectors/keys, the algorithms of key_matrix.sh),
 * the wall time of one check, median of ROUNDS:
 *   gpg:     the check as it was: the file imported, still protected, into
 *            a throwaway GnuPG home (a gpg run and its agent), the home
 *            closed (crypto/pgp.h pgp_home_open, pgp_import_secret_file,
 *            pgp_home_close);
 *   packets: pgp_keyfile_fprs as the appliance runs it, the file read and
 *            parsed by the monitor's parser child, which is ended after
 *            its answer: the fresh child the next request needs is
 *            started within the figure;
 *   inproc:  the same parse without the child.
 * One line each:
 *   stick-bench: KEY gpg_ms=X packets_ms=Y inproc_ms=Z
 * Prints figures; it is not a test and asserts nothing.
 * usage: bench_stick KEYDIR [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "appliance/monitor.h"
#include "appliance/parser.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"

#define MAX_ROUNDS 99

static const char *const keys[] = { "rsa2048", "holder1", "holder2",
    "holder3", "nistp256", "nistp384", "nistp521", "brainpoolp256",
    "secp256k1", "dsaelg", "nopass" };

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

/* The check as it was. */
static int
by_gpg(const char *base, const char *file)
{
	struct pgp_home *h = NULL;
	struct pgp_fprs f;
	int r;

	if ((r = pgp_home_open(base, &h)) != CK_OK)
		return r;
	r = pgp_import_secret_file(h, file, &f);
	pgp_home_close(h);
	return r;
}

int
main(int argc, char **argv)
{
	double g[MAX_ROUNDS], p[MAX_ROUNDS], q[MAX_ROUNDS], t;
	char file[4096], base[] = "/tmp/stick-bench.XXXXXX";
	struct pgp_fprs f;
	int rounds, i, e;
	size_t k;

	/* The monitor exec's this image as its parser child. */
	if (argc == 2 && strcmp(argv[1], PARSER_ARG) == 0)
		return parser_main();
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_stick KEYDIR [ROUNDS]\n");
		return 2;
	}
	rounds = argc == 3 ? atoi(argv[2]) : 7;
	if (rounds < 1 || rounds > MAX_ROUNDS || sodium_init() < 0 ||
	    mkdtemp(base) == NULL)
		return 2;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		snprintf(file, sizeof(file), "%s/%s.sec.asc", argv[1], keys[k]);
		for (i = 0; i < rounds; i++) {
			t = now_ms();
			if ((e = by_gpg(base, file)) != CK_OK)
				goto fail;
			g[i] = now_ms() - t;
			if ((e = monitor_start()) != CK_OK)
				goto fail;
			t = now_ms();
			if ((e = pgp_keyfile_fprs(file, &f)) == CK_OK) {
				monitor_stop();
				e = monitor_start();
			}
			p[i] = now_ms() - t;
			monitor_stop();
			if (e != CK_OK)
				goto fail;
			t = now_ms();
			if ((e = pgp_keyfile_fprs(file, &f)) != CK_OK)
				goto fail;
			q[i] = now_ms() - t;
		}
		printf("stick-bench: %s gpg_ms=%.1f packets_ms=%.1f "
		    "inproc_ms=%.2f\n", keys[k], median(g, rounds),
		    median(p, rounds), median(q, rounds));
		fflush(stdout);
	}
	rmdir(base);
	return 0;
fail:
	fprintf(stderr, "bench_stick: %s: %s\n", keys[k], ck_strerror(e));
	rmdir(base);
	return 1;
}
