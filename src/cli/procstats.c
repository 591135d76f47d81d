/*
 * procstats.c - reading and showing the statistics a `uswap run` process
 * writes (src/preload/preload.c: one JSON object per process), for
 * `uswap run --stats` and `uswap stat`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The whole file, NUL-terminated, in *text (free it). 0 or -errno. */
int procstats_read(const char *path, char **text)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n + 4096 + 1 > cap && !(buf = realloc(buf, cap = cap * 2 + 8192)))
			break;
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (!got)
			break;
	}
	fclose(f);
	if (!buf)
		return -ENOMEM;
	buf[n] = 0;
	*text = buf;
	return 0;
}

/* The number after "key": in json (the first one), or 0. Keys are unique
 * across the object and its "uswap" member. */
double pj_num(const char *json, const char *key)
{
	char pat[80];

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(json, pat);
	return p ? strtod(p + strlen(pat), NULL) : 0;
}

/* The string after "key": (up to 63 characters) into out. */
void pj_str(const char *json, const char *key, char *out, size_t len)
{
	char pat[80];

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	const char *p = strstr(json, pat);
	size_t n = 0;
	if (p)
		for (p += strlen(pat); *p && *p != '"' && n + 1 < len; p++)
			out[n++] = *p;
	out[n] = 0;
}

static double mib(double bytes) { return bytes / (1 << 20); }

/* Memory saved when the program used the most: what the managed pages
 * would take (resident + evicted) over what they took (resident + the
 * compressed pool); pages written to the swap file count as saved. */
double procstats_saving(const char *j)
{
	double s = pj_num(j, "saving_at_peak");

	return s > 0 ? s : 1;
}

void procstats_print(FILE *f, const char *j)
{
	char comm[64];

	pj_str(j, "comm", comm, sizeof(comm));
	fprintf(f, "  pid %.0f (%s), %.1f s: limit %.0f MiB, peak RSS %.1f MiB (resident in regions at most %.1f MiB); "
		   "at its largest, %.1f MiB managed, %.2fx memory saved\n",
		pj_num(j, "pid"), comm, pj_num(j, "seconds"), mib(pj_num(j, "limit")), mib(pj_num(j, "rss_hwm")),
		mib(pj_num(j, "resident_hwm")), mib(pj_num(j, "managed_peak") * pj_num(j, "managed_share")),
		procstats_saving(j));
	fprintf(f, "    managed %.1f%% of its anonymous memory; swapped out %.0f pages, in %.0f (%.0f from the "
		   "pool, %.0f from the swap file), written back %.0f\n",
		100 * pj_num(j, "managed_share"), pj_num(j, "swapouts"), pj_num(j, "swapins"), pj_num(j, "zswpin"),
		pj_num(j, "pswpin"), pj_num(j, "written_back_pages"));
	fprintf(f, "    faults %.0f (major %.0f, zero %.0f), p50 %.1f us, p99 %.1f us; budget overruns %.0f, "
		   "evictions failed %.0f, pages lost %.0f\n",
		pj_num(j, "faults"), pj_num(j, "major_faults"), pj_num(j, "zero_faults"), pj_num(j, "fault_p50_ns") / 1e3,
		pj_num(j, "fault_p99_ns") / 1e3, pj_num(j, "budget_overruns"), pj_num(j, "evict_fail"),
		pj_num(j, "poisoned"));
}

/* The Prometheus text format, one sample per statistic, labelled with the
 * process. */
void procstats_prometheus(FILE *f, const char *j)
{
	static const char *const keys[] = {"rss_hwm", "rss_anon", "managed_share", "heap_mapped", "resident_bytes",
					   "limit", "faults", "major_faults", "minor_faults", "zero_faults",
					   "swapins", "swapouts", "refaults", "evict_fail", "poisoned",
					   "budget_overruns", "fault_p50_ns", "fault_p99_ns", "pool_total_size",
					   "stored_pages", "written_back_pages", "pswpin", "pswpout", "inuse"};
	char comm[64];

	pj_str(j, "comm", comm, sizeof(comm));
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		fprintf(f, "uswap_%s{pid=\"%.0f\",comm=\"%s\"} %.17g\n", keys[k], pj_num(j, "pid"), comm,
			pj_num(j, keys[k]));
}
