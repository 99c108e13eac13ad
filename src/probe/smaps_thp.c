// SPDX-License-Identifier: GPL-2.0-only
/*
 * AnonHugePages per VMA from /proc/PID/smaps, see smaps_thp.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proc_file.h"
#include "smaps_thp.h"

#define KEY "AnonHugePages:"

/* Index of the VMA starting at start (maps are sorted), or maps->nr. */
static size_t vma_at(const struct vma_list *maps, uint64_t start)
{
	size_t lo = 0, hi = maps->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (maps->v[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < maps->nr && maps->v[lo].start == start ? lo : maps->nr;
}

int smaps_parse_anon_huge(const char *text, const struct vma_list *maps,
			  uint64_t *bytes)
{
	const char *line = text;
	size_t cur = maps->nr;

	memset(bytes, 0, maps->nr * sizeof(*bytes));
	while (*line) {
		const char *nl = strchr(line, '\n');
		const char *next = nl ? nl + 1 : line + strlen(line);
		uint64_t start, end, kib;
		char *e;

		if (!strncmp(line, KEY, strlen(KEY))) {
			const char *s = line + strlen(KEY);

			while (*s == ' ')
				s++;
			if (probe_parse_u64(s, 10, &kib, &e) ||
			    strncmp(e, " kB", 3) || kib > UINT64_MAX / 1024)
				return -EINVAL;
			if (cur < maps->nr)
				bytes[cur] = kib * 1024;
		} else if (!probe_parse_u64(line, 16, &start, &e) &&
			   *e == '-' &&
			   !probe_parse_u64(e + 1, 16, &end, &e) &&
			   *e == ' ') {
			/* a mapping's header line */
			cur = vma_at(maps, start);
		}
		line = next;
	}
	return 0;
}

int smaps_anon_huge(const char *proc_root, pid_t pid,
		    const struct vma_list *maps, uint64_t *bytes)
{
	char path[PATH_MAX];
	char *buf;
	int err;

	err = probe_path(path, sizeof(path), proc_root, "%d/smaps", (int)pid);
	if (err)
		return err;
	err = probe_read_file(path, &buf, NULL);
	if (err)
		return -probe_task_errno(-err);
	err = smaps_parse_anon_huge(buf, maps, bytes);
	free(buf);
	return err;
}
