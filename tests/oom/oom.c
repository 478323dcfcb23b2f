/*
 * Allocation-failure injection, SQLite-style (`make check-oom`).
 *
 * Each scenario below drives real modules end to end (build and parse,
 * seal and open, sign and verify, a transcript and a ceremony state folder
 * written and read back). It is run again and again with the Nth
 * allocation failing, for N = 1, 2, ... until a run makes fewer than N
 * allocations. Every run must end without a crash or a sanitizer report
 * (the build is ASan+UBSan), leak nothing (LeakSanitizer is asked after
 * every run; secure memory is counted here, since sodium_malloc maps its
 * own pages), and either fail with an error code or succeed with the same,
 * checked result as the run without failures.
 *
 * The allocators are wrapped at link time (-Wl,--wrap=..., see the
 * Makefile), so the programs themselves carry no hook; jansson's
 * allocations come through json_set_alloc_funcs. Ends with the usual
 * "N passed, N failed" line. `oom WORD` runs only the scenarios whose
 * name contains WORD.
 */
#include <dirent.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sanitizer/lsan_interface.h>
#include <sodium.h>

#include "ceremony/audit.h"
#include "ceremony/record.h"
#include "ceremony/session.h"
#include "ceremony/transcript.h"
#include "client/vault.h"
#include "crypto/errors.h"
#include "crypto/sealbox.h"
#include "crypto/secmem.h"
#include "media/fountain.h"
#include "protocol/envelope.h"
#include "protocol/minisig.h"
#include "protocol/sealed.h"

/* --- the failing allocators ------------------------------------------- */

static unsigned long oom_count;		/* allocations so far in this run */
static unsigned long oom_fail_at;	/* 0: never fail */
static int oom_failed;			/* this run's failure happened */
static long oom_secure_live;		/* sodium_malloc blocks not freed */

static int
oom_fail(void)
{
	if (++oom_count != oom_fail_at)
		return 0;
	oom_failed = 1;
	return 1;
}

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_reallocarray(void *, size_t, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
void *__real_sodium_malloc(size_t);
void __real_sodium_free(void *);

void *__wrap_malloc(size_t n) { return oom_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { return oom_fail() ? NULL : __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { return oom_fail() ? NULL : __real_realloc(p, n); }
void *__wrap_reallocarray(void *p, size_t a, size_t b)
{
	return oom_fail() ? NULL : __real_reallocarray(p, a, b);
}
char *__wrap_strdup(const char *s) { return oom_fail() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return oom_fail() ? NULL : __real_strndup(s, n); }

int
__wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (oom_fail()) {
		*out = NULL;
		return -1;
	}
	va_start(ap, fmt);
	r = vasprintf(out, fmt, ap);
	va_end(ap);
	return r;
}

void *
__wrap_sodium_malloc(size_t n)
{
	void *p;

	if (oom_fail())
		return NULL;
	if ((p = __real_sodium_malloc(n)) != NULL)
		oom_secure_live++;
	return p;
}

void
__wrap_sodium_free(void *p)
{
	if (p != NULL)
		oom_secure_live--;
	__real_sodium_free(p);
}

static void *json_alloc(size_t n) { return oom_fail() ? NULL : __real_malloc(n); }
static void json_release(void *p) { free(p); }

/* --- scenarios ---------------------------------------------------------- */

/* A scenario's own check failed: not an error code any module returns. */
#define WRONG_RESULT	(-10000)

static char workdir[64];	/* a fresh directory for every run */

static const char payload_text[] =
    "{\"kind\":\"init\",\"n\":3,\"t\":2,\"note\":\"commitment, never a share\"}";

/* Build, parse and bind an envelope; armor and dearmor it. */
static int
sc_envelope(void)
{
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], pk[32], *sk, *bin = NULL, *back = NULL;
	struct envelope env = { 0 };
	size_t len = 0, backlen = 0, tlen = 0;
	char *text = NULL;
	int r;

	memset(id, 7, sizeof(id));
	if ((sk = secmem_alloc(ENVELOPE_SK_BYTES)) == NULL)
		return CK_ERR_ALLOC;
	crypto_sign_keypair(pk, sk);
	if ((r = envelope_build(ENVELOPE_INIT_REQUEST, id, 1, 0, payload_text,
	    strlen(payload_text), sk, &bin, &len)) != CK_OK ||
	    (r = envelope_parse(bin, len, &env)) != CK_OK ||
	    (r = envelope_check_binding(&env, id, pk, 0)) != CK_OK ||
	    (r = envelope_armor(bin, len, &text, &tlen)) != CK_OK ||
	    (r = envelope_dearmor(text, tlen, &back, &backlen)) != CK_OK)
		goto out;
	r = backlen == len && memcmp(back, bin, len) == 0 &&
	    json_integer_value(json_object_get(env.payload, "n")) == 3 ?
	    CK_OK : WRONG_RESULT;
out:
	envelope_free(&env);
	free(bin);
	free(back);
	free(text);
	secmem_free(sk);
	return r;
}

/* Seal a share to a session key and open it again. */
static int
sc_sealed(void)
{
	static const char share[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01";
	uint8_t pk[SEALBOX_PK_LEN], *sk = NULL, id[ENVELOPE_CEREMONY_ID_BYTES];
	char *b64 = NULL, *open = NULL;
	size_t len = 0;
	int r;

	memset(id, 9, sizeof(id));
	if ((r = sealbox_keypair(pk, &sk)) != CK_OK)
		return r;
	if ((r = sealed_seal(pk, id, 4, "nonce-1", share, strlen(share),
	    &b64)) == CK_OK &&
	    (r = sealed_open(pk, sk, id, 4, "nonce-1", b64, &open, &len)) == CK_OK)
		r = len == strlen(share) && memcmp(open, share, len) == 0 ?
		    CK_OK : WRONG_RESULT;
	free(b64);
	secmem_free(open);
	secmem_free(sk);
	return r;
}

/* A minisign signature made and checked. */
static int
sc_minisig(void)
{
	struct minisig_pubkey pk;
	unsigned char pub[32], *sk;
	char *sig = NULL, *trusted = NULL;
	size_t siglen = 0;
	int r;

	if ((sk = secmem_alloc(MINISIG_SK_BYTES)) == NULL)
		return CK_ERR_ALLOC;
	crypto_sign_keypair(pub, sk);
	minisig_pubkey_from_sk(&pk, sk);
	if ((r = minisig_sign(payload_text, strlen(payload_text), sk,
	    "head 00 records 3", &sig, &siglen)) == CK_OK &&
	    (r = minisig_verify(payload_text, strlen(payload_text), sig, siglen,
	    &pk, &trusted)) == CK_OK)
		r = strcmp(trusted, "head 00 records 3") == 0 ? CK_OK : WRONG_RESULT;
	free(sig);
	free(trusted);
	secmem_free(sk);
	return r;
}

/* A transcript written, closed, verified and audited. */
static int
sc_transcript(void)
{
	uint8_t h[1][TRANSCRIPT_HASH_BYTES];
	struct transcript_report rep;
	struct audit_report ar;
	struct transcript *t = NULL;
	struct record *rec = NULL;
	unsigned char pub[32], *sk;
	char path[128];
	json_t *d = NULL;
	uint8_t *buf = NULL;
	FILE *f;
	size_t len;
	int r, i;

	snprintf(path, sizeof(path), "%s/transcript.jsonl", workdir);
	if ((sk = secmem_alloc(MINISIG_SK_BYTES)) == NULL)
		return CK_ERR_ALLOC;
	crypto_sign_keypair(pub, sk);
	memset(h, 1, sizeof(h));
	if ((d = json_pack("{s:s, s:i, s:i}", "kind", "init", "n", 1, "t", 1)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = transcript_open(&t, path, "appliance", d, NULL, sk)) != CK_OK)
		goto out;
	json_decref(d);
	d = NULL;
	for (i = 0; i < 2; i++) {
		struct transcript_event ev = { .type = i == 0 ? "share-handed-out" :
		    "root-token-revoked", .actor = "Zoë", .in = h, .n_in = 1 };

		ev.details = i == 0 ?
		    json_pack("{s:i, s:s}", "share", 1, "commitment", "00") :
		    json_pack("{s:s, s:b}", "accessor", "a", "lookup_refused", 1);
		if (ev.details == NULL) {
			r = CK_ERR_ALLOC;
			goto out;
		}
		r = transcript_append(t, &ev);
		json_decref(ev.details);
		if (r != CK_OK)
			goto out;
	}
	if ((r = transcript_close(t, "appliance", NULL)) != CK_OK ||
	    (r = transcript_verify(path, NULL, &rep)) != CK_OK)
		goto out;
	r = CK_ERR_IO;
	if ((f = fopen(path, "rb")) == NULL)
		goto out;
	if ((buf = malloc(1 << 16)) == NULL) {
		fclose(f);
		r = CK_ERR_ALLOC;
		goto out;
	}
	len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	if ((r = audit_transcript(buf, len, &ar)) != CK_OK)
		goto out;
	if (rep.records != 4 || ar.proven != 1 || !ar.revoked) {
		r = WRONG_RESULT;
		goto out;
	}
	/* The paper record's facts (conclave record, verify --facts). */
	if ((r = record_read(path, NULL, &rec, &rep)) == CK_OK)
		r = rec->audit_err == CK_OK && rec->n > 20 ? CK_OK : WRONG_RESULT;
out:
	record_free(rec);
	free(buf);
	json_decref(d);
	transcript_free(t);
	secmem_free(sk);
	return r;
}

/* A ceremony state folder: created, an envelope sent, loaded back. */
static int
sc_session(void)
{
	struct session *s = NULL;
	char state[128], exch[128];
	json_t *p = NULL;
	uint64_t seq;
	int r;

	snprintf(state, sizeof(state), "%s/state", workdir);
	snprintf(exch, sizeof(exch), "%s/x", workdir);
	if (mkdir(exch, 0700) != 0)
		return CK_ERR_IO;
	if ((p = json_loads(payload_text, 0, NULL)) == NULL)
		return CK_ERR_ALLOC;
	if ((r = session_create(state, exch, "init", "appliance", NULL, NULL,
	    &s)) != CK_OK ||
	    (r = session_set_phase(s, "requested")) != CK_OK ||
	    (r = session_send(s, ENVELOPE_INIT_REQUEST, p, "init-request-sent",
	    "appliance", NULL)) != CK_OK)
		goto out;
	session_free(s);
	s = NULL;
	if ((r = session_load(state, "init", NULL, &s)) != CK_OK)
		goto out;
	seq = s->last_seq;
	r = seq == 1 && strcmp(session_phase(s), "requested") == 0 ?
	    CK_OK : WRONG_RESULT;
out:
	json_decref(p);
	session_free(s);
	return r;
}

/* A message through the fountain code, every frame in order. */
static int
sc_fountain(void)
{
	uint8_t msg[700], frame[FTN_MAX_FRAME], *back = NULL;
	struct ftn_encoder *e = NULL;
	struct ftn_decoder *d = NULL;
	struct ftn_progress pr;
	size_t len = 0;
	uint32_t i;
	int r;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31);
	if ((r = ftn_encoder_new(msg, sizeof(msg), 100, &e)) != CK_OK ||
	    (r = ftn_decoder_new(&d)) != CK_OK)
		goto out;
	for (i = 0; i < 64; i++) {
		if ((r = ftn_encoder_frame(e, i, frame, sizeof(frame))) != CK_OK ||
		    (r = ftn_decoder_add(d, frame, ftn_encoder_frame_len(e))) != CK_OK)
			goto out;
		ftn_decoder_progress(d, &pr);
		if (pr.complete)
			break;
	}
	if ((r = ftn_decoder_message(d, &back, &len)) == CK_OK)
		r = len == sizeof(msg) && memcmp(back, msg, len) == 0 ?
		    CK_OK : WRONG_RESULT;
out:
	free(back);
	ftn_encoder_free(e);
	ftn_decoder_free(d);
	return r;
}

/* A server's seal status, parsed strictly. */
static int
sc_seal_status(void)
{
	static const char text[] = "{\"type\":\"shamir\",\"initialized\":true,"
	    "\"sealed\":true,\"t\":3,\"n\":5,\"progress\":1,\"nonce\":"
	    "\"0b1c5b76-5c4d-4a5e-9b8f-1f2e3d4c5b6a\",\"version\":\"2.6.2\","
	    "\"build_date\":\"2025-01-01T00:00:00Z\",\"migration\":false,"
	    "\"recovery_seal\":false,\"storage_type\":\"raft\"}";
	struct vault_seal_status st;
	json_t *j;
	int r;

	if ((j = json_loads(text, 0, NULL)) == NULL)
		return CK_ERR_ALLOC;
	if ((r = vault_parse_seal_status(j, &st)) == CK_OK)
		r = st.t == 3 && st.progress == 1 && st.sealed ? CK_OK : WRONG_RESULT;
	json_decref(j);
	return r;
}

/*
 * Controls: the `s = realloc(s, n)` mistake, on ordinary and on secure
 * memory. The driver must flag both, or it could not find the real thing.
 */
static int
sc_control_leak(void)
{
	char *s = malloc(16), *t;

	if (s == NULL)
		return CK_ERR_ALLOC;
	if ((t = malloc(32)) == NULL)
		return CK_ERR_ALLOC;	/* s is lost */
	free(t);
	free(s);
	return CK_OK;
}

static int
sc_control_secure(void)
{
	char *s = secmem_alloc(16), *t;

	if (s == NULL)
		return CK_ERR_ALLOC;
	if ((t = secmem_alloc(32)) == NULL)
		return CK_ERR_ALLOC;	/* s is lost */
	secmem_free(t);
	secmem_free(s);
	return CK_OK;
}

/* --- the driver ---------------------------------------------------------- */

/* Leaks are checked after every run; the check at exit would repeat them. */
const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
	return "leak_check_at_exit=0";
}

struct scenario {
	const char *name;
	int (*run)(void);
	int control;	/* a planted leak: passes when it is found */
};

static const struct scenario scenarios[] = {
	{ "envelope build, parse, bind, armor", sc_envelope, 0 },
	{ "sealed share seal and open", sc_sealed, 0 },
	{ "minisign sign and verify", sc_minisig, 0 },
	{ "transcript write, close, verify, audit, record", sc_transcript, 0 },
	{ "ceremony state create, send, load", sc_session, 0 },
	{ "fountain encode and decode", sc_fountain, 0 },
	{ "server seal status parse", sc_seal_status, 0 },
	{ "control: a planted leak is found", sc_control_leak, 1 },
	{ "control: a planted secure-memory leak is found", sc_control_secure, 1 },
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* One run with allocation n failing (0: none); 0 when it ended cleanly. */
static int
run_once(const struct scenario *sc, unsigned long n, int *r, char *why,
    size_t whylen)
{
	snprintf(workdir, sizeof(workdir), "%s/conclave-oom.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(workdir) == NULL) {
		snprintf(why, whylen, "no temporary directory");
		return -1;
	}
	oom_count = 0;
	oom_failed = 0;
	oom_secure_live = 0;
	oom_fail_at = n;
	*r = sc->run();
	oom_fail_at = 0;
	nftw(workdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (__lsan_do_recoverable_leak_check() != 0) {
		snprintf(why, whylen, "leak with allocation %lu failing", n);
		return -1;
	}
	if (oom_secure_live != 0) {
		snprintf(why, whylen, "%ld secure block(s) not freed with "
		    "allocation %lu failing", oom_secure_live, n);
		return -1;
	}
	if (!oom_failed && *r != CK_OK) {
		snprintf(why, whylen, "%s without any failure injected",
		    *r == WRONG_RESULT ? "a wrong result" : ck_errname(*r));
		return -1;
	}
	if (*r == WRONG_RESULT) {
		snprintf(why, whylen, "wrong result with allocation %lu failing", n);
		return -1;
	}
	return 0;
}

/*
 * Every allocation point of one scenario, in a process of its own: a leak
 * stays reported by LeakSanitizer until exit, so it must not be charged to
 * the scenarios after it. Exit status 0 when the scenario passed.
 */
static int
run_scenario(const struct scenario *sc)
{
	char why[160] = "";
	unsigned long n, failures = 0;
	int r, bad = 0;

	for (n = 1; !bad; n++) {
		if (run_once(sc, n, &r, why, sizeof(why)) != 0)
			bad = 1;
		else if (!oom_failed)
			break;	/* fewer than n allocations: every point done */
		else if (r != CK_OK)
			failures++;
	}
	if (sc->control)
		printf("%s - %s%s%s\n", bad ? "ok" : "not ok", sc->name,
		    bad ? ": " : " (the driver missed it)", bad ? why : "");
	else if (bad)
		printf("not ok - %s: %s\n", sc->name, why);
	else
		printf("ok - %s: %lu allocation points, each failure clean (%lu "
		    "refused with an error)\n", sc->name, n - 1, failures);
	fflush(stdout);
	return bad == sc->control ? 0 : 1;
}

/* oom [WORD]: every scenario, or those whose name contains WORD. */
int
main(int argc, char **argv)
{
	unsigned pass = 0, fail = 0;
	size_t i;
	pid_t pid;
	int status;

	if (secmem_init() != CK_OK)
		return 1;
	/* The work folder is wherever TMPDIR is; RAM is not what is tested. */
	session_allow_disk(1);
	json_set_alloc_funcs(json_alloc, json_release);
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (argc > 1 && strstr(scenarios[i].name, argv[1]) == NULL)
			continue;
		fflush(stdout);
		if ((pid = fork()) < 0)
			return 1;
		if (pid == 0)
			_exit(run_scenario(&scenarios[i]));
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0) {
			pass++;
		} else {
			fail++;
			if (!WIFEXITED(status))
				printf("not ok - %s: crashed\n", scenarios[i].name);
		}
	}
	printf("%u passed, %u failed\n", pass, fail);
	return fail == 0 ? 0 : 1;
}
