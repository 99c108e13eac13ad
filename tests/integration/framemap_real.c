// SPDX-License-Identifier: GPL-2.0-only
/*
 * framemap_real: build the frame map of this machine and check it against
 * what the kernel says elsewhere:
 *   - every frame has a state; RAM frames match /proc/iomem;
 *   - zones match /proc/zoneinfo;
 *   - FREE frames are close to the sum of nr_free_pages over the zones;
 *   - frames counted as not yet initialised fit in present - managed;
 *   - the 64 MiB of anonymous pages held by `scatter` are MOVABLE, and
 *     so are its THP pages, each frame known as part of an order-9 folio.
 * Prints how long the build took. Needs root: exits 77 (skipped) if not.
 *
 * usage: framemap_real SCATTER
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "framemap_build.h"
#include "pagemap.h"
#include "proc_file.h"

#define SKIP 77

static int failures;

static void check(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures += !ok;
}

struct zone_totals {
	uint64_t free, present, managed;
};

/* Sum nr_free_pages, present and managed over all zones. */
static int zone_totals(struct zone_totals *t)
{
	static const char *const keys[] = { "nr_free_pages ", "present ",
					    "managed " };
	uint64_t *dst[] = { &t->free, &t->present, &t->managed };
	char *text, *line;
	int err = probe_read_file("/proc/zoneinfo", &text, NULL);
	unsigned int k;

	if (err)
		return err;
	memset(t, 0, sizeof(*t));
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		while (*line == ' ')
			line++;
		for (k = 0; k < 3; k++) {
			size_t n = strlen(keys[k]);
			uint64_t v;
			char *s = line + n;

			if (strncmp(line, keys[k], n))
				continue;
			while (*s == ' ')
				s++;
			if (!probe_parse_u64(s, 10, &v, NULL))
				*dst[k] += v;
		}
	}
	free(text);
	return 0;
}

struct child {
	pid_t pid;
	int in; /* its stdin: closing it ends it */
	uint64_t region[2], thp[2];
};

static int start_scatter(const char *path, struct child *c)
{
	int to[2], from[2];
	char key[16];
	FILE *out;
	int n = 0;

	if (pipe(to) || pipe(from))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (!c->pid) {
		dup2(to[0], STDIN_FILENO);
		dup2(from[1], STDOUT_FILENO);
		close(to[1]);
		close(from[0]);
		execl(path, path, "64", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->in = to[1];
	out = fdopen(from[0], "r");
	if (!out)
		return -errno;
	while (fscanf(out, "%15s", key) == 1) {
		uint64_t *dst = !strcmp(key, "region") ? c->region :
				!strcmp(key, "thp")    ? c->thp :
							 NULL;
		int pid;

		if (!strcmp(key, "pid")) {
			n += fscanf(out, "%d", &pid) == 1;
		} else if (dst) {
			n += fscanf(out, "%" SCNx64 " %" SCNx64, &dst[0],
				    &dst[1]) == 2;
		} else if (fscanf(out, "%*s %*s") < 0) {
			break;
		}
		if (!strcmp(key, "sparse"))
			break;
	}
	fclose(out);
	return n == 3 ? 0 : -EINVAL;
}

static void stop_scatter(struct child *c)
{
	int status;

	close(c->in);
	waitpid(c->pid, &status, 0);
}

/* Count frame states of the pages of [start, end) in c's memory. */
/* st[] per state; *large: pages in frames of an order-9 folio. */
static int states_of(const struct child *c, const struct frame_map *fm,
		     const uint64_t *range, uint64_t st[4], uint64_t *large)
{
	uint64_t nr = (range[1] - range[0]) >> CONTIG_PAGE_SHIFT, i;
	uint64_t *pfn = malloc(nr * sizeof(*pfn));
	int fd, err;

	if (!pfn)
		return -ENOMEM;
	fd = pagemap_open(NULL, c->pid);
	if (fd < 0) {
		free(pfn);
		return fd;
	}
	err = pagemap_read(fd, range[0] >> CONTIG_PAGE_SHIFT, nr, pfn, NULL);
	close(fd);
	memset(st, 0, 4 * sizeof(*st));
	*large = 0;
	for (i = 0; !err && i < nr; i++)
		if (pfn[i] != CONTIG_PFN_NONE && pfn[i] < fm->nr_frames) {
			st[fm->state[pfn[i]] & 3]++;
			*large += frame_map_order(fm, pfn[i]) == 9;
		}
	free(pfn);
	return err;
}

int main(int argc, char **argv)
{
	static const char *const names[4] = { "free", "movable", "unmovable",
					      "hole" };
	struct framemap_counts cnt;
	struct zone_totals zt;
	struct frame_map fm;
	struct child c;
	uint64_t st[4], sum = 0, region_pages, large;
	unsigned int z;
	int err, i;

	if (argc != 2) {
		fprintf(stderr, "usage: framemap_real SCATTER\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("# skipped: /proc/kpageflags needs root\n");
		return SKIP;
	}
	err = start_scatter(argv[1], &c);
	if (err) {
		fprintf(stderr, "framemap_real: starting %s: %s\n", argv[1],
			strerror(-err));
		return 1;
	}
	err = framemap_build(NULL, &fm, &cnt);
	if (err) {
		fprintf(stderr, "framemap_real: building the frame map: %s\n",
			strerror(-err));
		stop_scatter(&c);
		return 1;
	}
	printf("# %" PRIu64 " frames (%" PRIu64 " MiB of RAM) in %.3f s:",
	       fm.nr_frames, cnt.ram >> 8, cnt.seconds);
	for (i = 0; i < 4; i++) {
		printf(" %s %" PRIu64, names[i], cnt.state[i]);
		sum += cnt.state[i];
	}
	printf(" (not initialised %" PRIu64 "), %zu bad spans\n", cnt.uninit,
	       fm.nr_bad);
	for (z = 0; z < fm.nr_zones; z++)
		printf("# zone %d %s: %" PRIu64 "-%" PRIu64 "\n",
		       fm.zones[z].node, fm.zones[z].name,
		       fm.zones[z].start_pfn, fm.zones[z].end_pfn);

	check(sum == fm.nr_frames, "every frame has one state");
	check(cnt.ram <= fm.nr_frames && cnt.ram > fm.nr_frames / 2,
	      "RAM frames (%" PRIu64 ") fit in the map", cnt.ram);
	check(fm.nr_zones > 0, "zones read from zoneinfo");
	err = zone_totals(&zt);
	check(!err, "zoneinfo totals");
	if (!err) {
		uint64_t lo = zt.free - zt.free / 10;
		uint64_t hi = zt.free + zt.free / 10 + 65536;

		check(cnt.state[FRAME_FREE] >= lo &&
			      cnt.state[FRAME_FREE] <= hi,
		      "FREE frames %" PRIu64 " are near nr_free_pages %" PRIu64,
		      cnt.state[FRAME_FREE], zt.free);
		check(cnt.uninit <= zt.present - zt.managed,
		      "not initialised %" PRIu64
		      " <= present - managed %" PRIu64,
		      cnt.uninit, zt.present - zt.managed);
	}

	region_pages = (c.region[1] - c.region[0]) >> CONTIG_PAGE_SHIFT;
	err = states_of(&c, &fm, c.region, st, &large);
	check(!err && st[FRAME_MOVABLE] >= region_pages * 99 / 100,
	      "scatter's 64 MiB is movable: %" PRIu64 " of %" PRIu64
	      " (free %" PRIu64 " unmovable %" PRIu64 " hole %" PRIu64 ")",
	      st[FRAME_MOVABLE], region_pages, st[FRAME_FREE],
	      st[FRAME_UNMOVABLE], st[FRAME_HOLE]);
	err = states_of(&c, &fm, c.thp, st, &large);
	check(!err && st[FRAME_MOVABLE] && !st[FRAME_FREE] &&
		      large == st[FRAME_MOVABLE],
	      "THP pages are movable, as order-9 folios (movable %" PRIu64
	      ", unmovable %" PRIu64 ", in order-9 folios %" PRIu64 ")",
	      st[FRAME_MOVABLE], st[FRAME_UNMOVABLE], large);

	stop_scatter(&c);
	frame_map_free(&fm);
	printf("# %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
