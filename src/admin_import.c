/*
 * admin_import: validate an NDJSON file whole, then import it in chunks;
 * export a store to a stream.
 *
 * An import reads its file three times: once to count the lines (to size
 * the duplicate table), once to validate every line, once to import.  So
 * a bad line anywhere writes nothing, and memory stays bounded whatever
 * the file's size: lines are read one at a time, and the duplicate check
 * keeps one 64-bit word per line -- 24 bits of the id's hash and the
 * line's offset (40 bits: files up to 1 TiB) -- in an open-addressing
 * table at most two-thirds full.  A tag match re-reads the earlier line
 * (pread) and compares the ids exactly, so no false duplicate is ever
 * reported.  The hash is FNV-1a over a random seed, so no input is slow
 * on purpose more than by chance.
 *
 * Not here: the line grammar (admin.c), HTTP (http_admin.c).
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "admin_import.h"
#include "util.h"

#define OFFSET_BITS	40
#define OFFSET_MASK	((UINT64_C(1) << OFFSET_BITS) - 1)

/* The duplicate table: 0 is an empty slot; else tag << 40 | offset + 1. */
struct seen {
	uint64_t	*slot;
	size_t		 mask;
	uint64_t	 seed;
	int		 fd;
};

int
admin_spool_open(char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return fd;
	/* A file system without O_TMPFILE: create, then unlink at once. */
	snprintf(path, sizeof(path), "%s/visitsd-import.XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot create a spool file in %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

static uint64_t
hash_id(uint64_t seed, const char *id)
{
	uint64_t h = UINT64_C(14695981039346656037) ^ seed;

	for (; *id != '\0'; id++) {
		h ^= (unsigned char)*id;
		h *= UINT64_C(1099511628211);
	}
	return h ^ (h >> 29);
}

/* The id of the line at offset off of fd, into id; -1 if unreadable. */
static int
id_at(int fd, uint64_t off, char id[API_ID_MAX + 1])
{
	char buf[ADMIN_LINE_MAX + 2], why[64];
	struct store_counts c;
	ssize_t n;
	char *nl;
	size_t len;

	if ((n = pread(fd, buf, sizeof(buf) - 1, (off_t)off)) <= 0)
		return -1;
	buf[n] = '\0';
	len = (nl = memchr(buf, '\n', (size_t)n)) != NULL ?
	    (size_t)(nl - buf) : (size_t)n;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	return admin_line_parse(buf, len, id, &c, why, sizeof(why));
}

/*
 * Add id (its line at off).  Returns 0, or 1 when it was seen before,
 * with that line's offset in *first.
 */
static int
seen_add(struct seen *s, const char *id, uint64_t off, uint64_t *first)
{
	uint64_t h = hash_id(s->seed, id), tag = h >> OFFSET_BITS, e;
	char other[API_ID_MAX + 1];
	size_t i;

	for (i = (size_t)h & s->mask; (e = s->slot[i]) != 0;
	    i = (i + 1) & s->mask) {
		if (e >> OFFSET_BITS != tag)
			continue;
		if (id_at(s->fd, (e & OFFSET_MASK) - 1, other) == 0 &&
		    strcmp(other, id) == 0) {
			*first = (e & OFFSET_MASK) - 1;
			return 1;
		}
	}
	s->slot[i] = tag << OFFSET_BITS | (off + 1);
	return 0;
}

/* The line number of offset off (the rare path: a duplicate found). */
static uint64_t
line_of(int fd, uint64_t off)
{
	char buf[65536];
	uint64_t pos = 0, line = 1;
	ssize_t n;

	while (pos < off && (n = pread(fd, buf, sizeof(buf), (off_t)pos)) > 0)
		for (ssize_t i = 0; i < n && pos < off; i++, pos++)
			line += buf[i] == '\n';
	return line;
}

/* A new stream over fd from offset 0 (fd stays open), or NULL. */
static FILE *
rewind_fd(int fd)
{
	FILE *f;
	int d;

	if (lseek(fd, 0, SEEK_SET) == -1 || (d = dup(fd)) == -1)
		return NULL;
	if ((f = fdopen(d, "r")) == NULL)
		close(d);
	return f;
}

static uint64_t
count_lines(int fd)
{
	char buf[65536];
	uint64_t pos = 0, lines = 1;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), (off_t)pos)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		pos += (uint64_t)n;
	}
	return lines;
}

/* The next line without its newline and final CR; -1 at the end. */
static ssize_t
next_line(FILE *f, char **line, size_t *cap, uint64_t *off)
{
	ssize_t n;

	if ((n = getline(line, cap, f)) <= 0)
		return -1;
	*off += (uint64_t)n;
	if ((*line)[n - 1] == '\n')
		n--;
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	return n;
}

int
admin_import_check(int fd, uint64_t *nitems, char *err, size_t errlen)
{
	struct seen s = { .fd = fd };
	struct store_counts c;
	struct stat st;
	char id[API_ID_MAX + 1], why[256], *line = NULL;
	uint64_t lineno = 0, off = 0, start, first, lines;
	size_t cap = 0, size = 4;
	ssize_t n;
	FILE *f = NULL;
	int rc = -1;

	*nitems = 0;
	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size >= OFFSET_MASK) {
		snprintf(err, errlen, "the import file cannot be read or is "
		    "larger than 1 TiB");
		return -1;
	}
	lines = count_lines(fd);
	while (size < lines + lines / 2)
		size *= 2;
	s.slot = xcalloc(size, sizeof(*s.slot));
	s.mask = size - 1;
	if (getrandom(&s.seed, sizeof(s.seed), 0) != sizeof(s.seed))
		s.seed = (uint64_t)util_now_ms();
	if ((f = rewind_fd(fd)) == NULL) {
		snprintf(err, errlen, "cannot read the import file: %s",
		    strerror(errno));
		goto done;
	}
	for (;;) {
		start = off;
		if ((n = next_line(f, &line, &cap, &off)) == -1)
			break;
		lineno++;
		if (n == 0)
			continue;
		if (admin_line_parse(line, (size_t)n, id, &c, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "line %llu: %s",
			    (unsigned long long)lineno, why);
			goto done;
		}
		if (seen_add(&s, id, start, &first) == 1) {
			snprintf(err, errlen, "line %llu: duplicate user \"%s\" "
			    "(first on line %llu)", (unsigned long long)lineno,
			    id, (unsigned long long)line_of(fd, first));
			goto done;
		}
		(*nitems)++;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read the import file: %s",
		    strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (f != NULL)
		fclose(f);
	free(line);
	free(s.slot);
	return rc;
}

enum store_result
admin_import_run(struct store *store, int fd, admin_stop_fn *stop, void *arg,
    uint64_t *imported, char *err, size_t errlen)
{
	struct store_item *items = xcalloc(ADMIN_IMPORT_CHUNK, sizeof(*items));
	char (*ids)[API_ID_MAX + 1] = xcalloc(ADMIN_IMPORT_CHUNK,
	    sizeof(*ids));
	enum store_result res = STORE_OK;
	char why[256], *line = NULL;
	uint64_t off = 0;
	size_t cap = 0, k = 0;
	ssize_t n;
	FILE *f;
	bool end = false;

	*imported = 0;
	if ((f = rewind_fd(fd)) == NULL) {
		snprintf(err, errlen, "cannot read the import file: %s",
		    strerror(errno));
		res = STORE_ERROR;
		goto done;
	}
	while (!end) {
		if ((n = next_line(f, &line, &cap, &off)) == -1)
			end = true;
		else if (n > 0 && admin_line_parse(line, (size_t)n, ids[k],
		    &items[k].counts, why, sizeof(why)) == 0) {
			items[k].id = ids[k];
			k++;
		}
		if (k == 0 || (k < ADMIN_IMPORT_CHUNK && !end))
			continue;
		if (stop != NULL && stop(arg)) {
			snprintf(err, errlen, "stopped by a shutdown");
			res = STORE_UNAVAILABLE;
			goto done;
		}
		if ((res = store_import(store, items, k)) != STORE_OK) {
			snprintf(err, errlen, "the store answered %s",
			    store_result_str(res));
			goto done;
		}
		*imported += k;
		k = 0;
	}
done:
	if (f != NULL)
		fclose(f);
	free(line);
	free(ids);
	free(items);
	return res;
}

static int
export_line(void *arg, const char *id, const struct store_counts *c)
{
	char buf[ADMIN_LINE_MAX];
	void **a = arg;
	size_t len = admin_line_format(buf, sizeof(buf), id, c);

	if (fwrite(buf, 1, len, (FILE *)a[0]) != len)
		return -1;
	(*(uint64_t *)a[1])++;
	return 0;
}

enum store_result
admin_export_file(struct store *store, FILE *out, uint64_t *n)
{
	void *a[2] = { out, n };
	enum store_result res;

	*n = 0;
	res = store_export(store, export_line, a);
	if (fflush(out) != 0 && res == STORE_OK)
		res = STORE_ERROR;
	return res;
}
