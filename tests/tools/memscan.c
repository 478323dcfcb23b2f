/*
 * Test-only: looks for secrets left behind (tests/integration/residue.sh).
 *
 *   memscan NEEDLES pid PID...     every readable mapping of each process,
 *                                  through /proc/PID/maps and /proc/PID/mem
 *   memscan NEEDLES files PATH...  every regular file under each PATH
 *
 * NEEDLES is a file of lines "LABEL str:TEXT" or "LABEL hex:HEXBYTES" (the
 * secrets travel in a file, never in argv). Prints "found LABEL in ..." for
 * every occurrence and "scanned N bytes, M found"; exit 0 when nothing was
 * found, 1 when something was, 2 when something could not be read or a
 * needle could not be used (a scan that read or sought nothing must not
 * pass).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NEEDLES	128
#define CHUNK		(1 << 20)

struct needle {
	char label[64];
	unsigned char bytes[256];
	size_t len;
};

static struct needle needles[MAX_NEEDLES];
static size_t nneedles;
static unsigned long long scanned, found;

/* A needle that cannot be used (too many, empty, malformed) is an error:
 * a scan that silently searched for less must not pass. */
static int
load_needles(const char *path)
{
	char line[1024], *sp, *v;
	FILE *f = fopen(path, "r");
	size_t i;
	int r = 0;

	if (f == NULL)
		return -1;
	while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
		struct needle *n = &needles[nneedles];

		line[strcspn(line, "\n")] = '\0';
		if (nneedles == MAX_NEEDLES || (sp = strchr(line, ' ')) == NULL) {
			r = -1;
			break;
		}
		*sp = '\0';
		v = sp + 1;
		if (strlen(line) >= sizeof(n->label)) {
			r = -1;
			break;
		}
		memcpy(n->label, line, strlen(line) + 1);
		if (strncmp(v, "str:", 4) == 0) {
			n->len = strlen(v + 4);
			if (n->len > sizeof(n->bytes))
				n->len = 0;
			memcpy(n->bytes, v + 4, n->len);
		} else if (strncmp(v, "hex:", 4) == 0) {
			v += 4;
			for (i = 0; v[2 * i] && v[2 * i + 1] && i < sizeof(n->bytes); i++)
				if (sscanf(v + 2 * i, "%2hhx", &n->bytes[i]) != 1)
					break;
			n->len = i;
		} else {
			n->len = 0;
		}
		if (n->len == 0) {
			fprintf(stderr, "memscan: needle %s: empty or malformed\n",
			    n->label);
			r = -1;
			break;
		}
		nneedles++;
	}
	fclose(f);
	return r == 0 && nneedles > 0 ? 0 : -1;
}

/*
 * Every occurrence of every needle that starts in buf[0, own): the bytes
 * after own are the overlap with the next chunk, searched there. base: the
 * address (or file offset) of buf[0], to say where a hit is.
 */
static void
search(const unsigned char *buf, size_t len, size_t own, unsigned long base,
    const char *where)
{
	const unsigned char *hit, *from;
	size_t i;

	scanned += own;
	for (i = 0; i < nneedles; i++)
		for (from = buf; (hit = memmem(from, len - (size_t)(from - buf),
		    needles[i].bytes, needles[i].len)) != NULL &&
		    (size_t)(hit - buf) < own; from = hit + 1) {
			printf("found %s at %#lx in %s\n", needles[i].label,
			    base + (unsigned long)(hit - buf), where);
			if (getenv("MEMSCAN_CONTEXT") != NULL) {
				size_t j, at = (size_t)(hit - buf) > 96 ?
				    (size_t)(hit - buf) - 96 : 0;
				for (j = at; j < len && j < (size_t)(hit - buf) + 160; j++)
					putchar(buf[j] >= 32 && buf[j] < 127 ? buf[j] : '.');
				putchar('\n');
			}
			found++;
		}
}

/* Read [lo, hi) in chunks that overlap by the longest needle. */
static int
scan_region(int memfd, unsigned long lo, unsigned long hi, const char *where)
{
	static unsigned char buf[CHUNK + 256];
	unsigned long at = lo;
	ssize_t n;

	while (at < hi) {
		size_t want = hi - at > CHUNK ? CHUNK : hi - at;

		if ((n = pread(memfd, buf, want + (at + want < hi ? 255 : 0),
		    (off_t)at)) <= 0)
			return errno == EIO ? 0 : -1;	/* EIO: a guard page */
		search(buf, (size_t)n, (size_t)n < want ? (size_t)n : want, at, where);
		at += want;
	}
	return 0;
}

static int
scan_pid(const char *pid)
{
	char path[64], line[512], perms[8], where[600];
	unsigned long lo, hi;
	int memfd, r = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	if ((maps = fopen(path, "r")) == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/mem", pid);
	if ((memfd = open(path, O_RDONLY)) < 0) {
		fclose(maps);
		return -1;
	}
	while (r == 0 && fgets(line, sizeof(line), maps) != NULL) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar]") != NULL)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(where, sizeof(where), "process %s: %s", pid, line);
		r = scan_region(memfd, lo, hi, where);
	}
	close(memfd);
	fclose(maps);
	return r;
}

static int
scan_path(const char *path)
{
	static unsigned char buf[CHUNK];
	char sub[4096];
	struct dirent *e;
	struct stat st;
	DIR *d;
	ssize_t n;
	int fd, r = 0;

	if (lstat(path, &st) != 0)
		return -1;
	if (S_ISREG(st.st_mode)) {
		if ((fd = open(path, O_RDONLY)) < 0)
			return -1;
		/* Secrets are small: whole files up to 1 MiB are what is written. */
		if ((n = read(fd, buf, sizeof(buf))) > 0)
			search(buf, (size_t)n, (size_t)n, 0, path);
		close(fd);
		return n < 0 ? -1 : 0;
	}
	if (!S_ISDIR(st.st_mode) || (d = opendir(path)) == NULL)
		return 0;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		r = scan_path(sub);
	}
	closedir(d);
	return r;
}

int
main(int argc, char **argv)
{
	int i, files;

	if (argc < 4 || load_needles(argv[1]) != 0 ||
	    (strcmp(argv[2], "pid") != 0 && strcmp(argv[2], "files") != 0)) {
		fprintf(stderr, "usage: memscan NEEDLES (pid PID... | files PATH...)\n");
		return 2;
	}
	files = strcmp(argv[2], "files") == 0;
	for (i = 3; i < argc; i++)
		if ((files ? scan_path(argv[i]) : scan_pid(argv[i])) != 0) {
			fprintf(stderr, "memscan: cannot read %s: %s\n", argv[i],
			    strerror(errno));
			return 2;
		}
	printf("scanned %llu bytes, %llu found\n", scanned, found);
	if (scanned == 0)
		return 2;
	return found == 0 ? 0 : 1;
}
