// SPDX-License-Identifier: GPL-2.0-only
/*
 * Does the CPU's PMU offer data-address sampling of memory accesses, the
 * means of a dTLB-miss heat source? Read from sysfs alone (no perf event
 * is opened): AMD's IBS appears as the event source "ibs_op"; Intel's
 * PEBS shows as caps/max_precise >= 1 of the core PMU ("cpu", or
 * "cpu_core" on hybrid parts). A machine without a hardware PMU (most
 * virtual machines, qemu's TCG) has none of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "observer.h"
#include "proc_file.h"

#define EVSRC "/bus/event_source/devices"

static bool exists(const char *root, const char *rel)
{
	char path[512];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s%s", root, rel) >=
	    (int)sizeof(path))
		return false;
	return !stat(path, &st);
}

/* caps/max_precise of a core PMU: the value, or -errno. */
static int max_precise(const char *root, const char *pmu)
{
	char path[512], *buf, *end;
	uint64_t v;
	int err;

	if (snprintf(path, sizeof(path), "%s" EVSRC "/%s/caps/max_precise",
		     root, pmu) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = probe_read_file(path, &buf, NULL);
	if (err)
		return err;
	err = probe_parse_u64(buf, 10, &v, &end);
	free(buf);
	if (err || v > 3)
		return -EINVAL;
	return (int)v;
}

int observer_pmu_probe(const char *sys_root, char *why, size_t size)
{
	static const char *const cores[] = { "cpu", "cpu_core" };
	const char *root = sys_root ? sys_root : "/sys";
	bool any = false;
	size_t i;
	int mp;

	if (exists(root, EVSRC "/ibs_op")) {
		snprintf(why, size, "AMD IBS");
		return 1;
	}
	for (i = 0; i < sizeof(cores) / sizeof(cores[0]); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), EVSRC "/%s", cores[i]);
		if (!exists(root, rel))
			continue;
		any = true;
		mp = max_precise(root, cores[i]);
		if (mp >= 1) {
			snprintf(why, size, "Intel PEBS (max_precise %d)", mp);
			return 1;
		}
	}
	snprintf(why, size, "%s",
		 any ? "the PMU has no data-address sampling" :
		       "no hardware PMU");
	return 0;
}
