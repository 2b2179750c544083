/*
 * bench_bot: nanoseconds per bot_match, for scripts/bench.sh (make
 * bench).  A figure for docs/performance.md, not a test.
 *
 *   build/bench_bot tests/data/bots/browsers.txt tests/data/bots/crawlers.txt
 *
 * Each file holds one User-Agent a line ('#' lines are comments).  After
 * the tables are built (the time is printed too), every line of a file is
 * matched ROUNDS times round-robin, in BATCHES batches each timed in the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID: time spent descheduled by
 * other work on the machine does not count); the figures are the fastest
 * batch's and the median batch's time over its matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bot.h"

#define MAX_UAS		256
#define ROUNDS		20000
#define BATCHES		20

static double
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static int
bench(const char *path)
{
	static char buf[MAX_UAS][1024];
	size_t len[MAX_UAS], n = 0, bytes = 0, hits = 0;
	volatile size_t sink = 0;
	char line[1024];
	double t0, ns[BATCHES], best;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while (n < MAX_UAS && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		len[n] = strlen(line);
		memcpy(buf[n], line, len[n] + 1);
		bytes += len[n];
		n++;
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "%s: no user agent\n", path);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		hits += bot_match(buf[i], len[i]);
	for (int b = 0; b < BATCHES; b++) {
		t0 = now_ns();
		for (int r = 0; r < ROUNDS / BATCHES; r++)
			for (size_t i = 0; i < n; i++)
				sink += bot_match(buf[i], len[i]);
		ns[b] = (now_ns() - t0) / ((double)(ROUNDS / BATCHES) *
		    (double)n);
	}
	qsort(ns, BATCHES, sizeof(ns[0]), cmp_double);
	best = ns[0];
	printf("bot_match %-12s %6.1f ns/match (median %.1f)  %5.2f ns/byte  "
	    "(%zu UAs, mean %zu bytes, %zu match, %d rounds)\n",
	    strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path, best,
	    ns[BATCHES / 2], best * (double)n / (double)bytes, n, bytes / n,
	    hits, ROUNDS);
	(void)sink;
	return 0;
}

int
main(int argc, char **argv)
{
	double t0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_bot FILE...\n");
		return 2;
	}
	t0 = now_ns();
	bot_init();
	printf("bot_init: %.1f ms (%s, %zu literals)\n",
	    (now_ns() - t0) / 1e6, bot_table_source, bot_table_len);
	for (int i = 1; i < argc; i++)
		if (bench(argv[i]) == -1)
			return 1;
	return 0;
}
