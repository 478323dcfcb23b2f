#include "tests/unit/helper_keys.h"

#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secmem.h"

char *
tk_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *d;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if (asprintf(&d, "%s/conclave-tk.XXXXXX", t) < 0)
		abort();
	if (mkdtemp(d) == NULL)
		abort();
	return d;
}

static int
rm1(const char *p, const struct stat *st, int fl, struct FTW *f)
{
	(void)st;
	(void)fl;
	(void)f;
	return remove(p);
}

void
tk_rmrf(const char *dir)
{
	(void)nftw(dir, rm1, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tk_passphrase(void)
{
	size_t len;
	unsigned char *raw = tk_slurp(TK_KEYS "/passphrase.txt", &len);
	char *p = secmem_alloc(len + 1);

	if (p == NULL)
		abort();
	while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
		len--;
	memcpy(p, raw, len);
	p[len] = '\0';
	free(raw);
	return p;
}

const char *
tk_key(const char *name, int secret)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), TK_KEYS "/%s%s", name,
	    secret ? ".sec.asc" : ".asc");
	return buf;
}

int
tk_run(const char *cmd, char *out, size_t max, size_t *len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	if (f == NULL)
		return -1;
	if (out != NULL)
		n = fread(out, 1, max - 1, f);
	else
		while (fgetc(f) != EOF)
			;
	if (out != NULL)
		out[n] = '\0';
	if (len != NULL)
		*len = n;
	return pclose(f);
}

void
tk_fpr(const char *name, char out[41])
{
	char cmd[512], buf[8192], *p;
	char *home = tk_tmpdir();
	size_t i;

	snprintf(cmd, sizeof(cmd), "gpg --homedir %s --batch --with-colons "
	    "--import-options show-only --import %s 2>/dev/null", home,
	    tk_key(name, 0));
	if (tk_run(cmd, buf, sizeof(buf), NULL) != 0 ||
	    (p = strstr(buf, "\nfpr:")) == NULL)
		abort();
	p += strlen("\nfpr:::::::::");
	for (i = 0; i < 40; i++)
		out[i] = (char)tolower((unsigned char)p[i]);
	out[40] = '\0';
	snprintf(cmd, sizeof(cmd), "gpgconf --homedir %s --kill all", home);
	tk_run(cmd, NULL, 0, NULL);
	tk_rmrf(home);
	free(home);
}

unsigned char *
tk_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		abort();
	rewind(f);
	if ((b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return b;
}

void
tk_spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		abort();
}
