// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which address space a process runs now (target_image.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "pagemap.h"
#include "proc_file.h"
#include "target_image.h"

/* Entries read at each end of a VMA: the stack's pages are at its top. */
#define EDGE 16
/* Present pages kept to choose the sample from. */
#define POOL 1024

static int read_entries(int fd, uint64_t vpn, uint64_t *e, size_t nr)
{
	ssize_t n;

	do
		n = pread(fd, e, nr * sizeof(*e), (off_t)(vpn * sizeof(*e)));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (int)((size_t)n / sizeof(*e));
}

/* Present pages at both ends of v, into pool. */
static void collect(int fd, const struct vma_info *v, uint64_t page,
		    uint64_t *pool, size_t *nr)
{
	uint64_t first = v->start / page, last = v->end / page;
	uint64_t e[EDGE], from[2], to[2];

	from[0] = first;
	to[0] = last - first < EDGE ? last : first + EDGE;
	from[1] = last - to[0] < EDGE ? to[0] : last - EDGE;
	to[1] = last;
	for (int k = 0; k < 2; k++) {
		int got = from[k] < to[k] ?
			read_entries(fd, from[k], e, to[k] - from[k]) : 0;

		for (int i = 0; i < got && *nr < POOL; i++)
			if (e[i] & PM_PRESENT)
				pool[(*nr)++] = from[k] + (uint64_t)i;
	}
}

static int sample_current(const char *proc_root, pid_t pid, uint64_t *pool,
			  size_t *nr)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct vma_list l = { 0 };
	int fd, err;

	*nr = 0;
	err = maps_read(proc_root, pid, &l);
	if (err)
		return err;
	fd = pagemap_open(proc_root, pid);
	if (fd < 0) {
		vma_list_free(&l);
		return fd;
	}
	for (size_t i = 0; i < l.nr && *nr < POOL; i++) {
		enum vma_kind k = l.v[i].kind;

		if (k == VMA_KIND_VVAR || k == VMA_KIND_VSYSCALL ||
		    k == VMA_KIND_VDSO)
			continue;
		collect(fd, &l.v[i], page, pool, nr);
	}
	close(fd);
	vma_list_free(&l);
	return 0;
}

int image_proof_reads_current(const char *proc_root, pid_t pid, int proof)
{
	size_t nr, pick, seen = 0;
	uint64_t *pool, e;
	int err;

	pool = malloc(POOL * sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	err = sample_current(proc_root, pid, pool, &nr);
	if (err) {
		free(pool);
		return err;
	}
	pick = nr < IMAGE_SAMPLE_MAX ? nr : IMAGE_SAMPLE_MAX;
	for (size_t i = 0; i < pick; i++) {
		uint64_t vpn = pool[i * nr / pick];

		if (read_entries(proof, vpn, &e, 1) == 1 && (e & PM_PRESENT))
			seen++;
	}
	free(pool);
	return pick && 2 * seen >= pick ? 0 : -EPERM;
}

/* Fields of /proc/PID/stat (1-based, see proc(5)) that fix the layout. */
static const int fp_fields[IMAGE_FP_FIELDS] = { 26, 27, 28, 45, 46,
						47, 48, 49, 50, 51 };

int image_fingerprint(const char *proc_root, pid_t pid, struct image_fp *fp)
{
	char path[PATH_MAX], *buf, *p, *end;
	int err, field, k = 0;

	memset(fp, 0, sizeof(*fp));
	err = probe_path(path, sizeof(path), proc_root, "/%d/stat", (int)pid);
	if (err)
		return err;
	err = probe_read_file(path, &buf, NULL);
	if (err)
		return -probe_task_errno(-err);
	/* The command may hold anything: fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p) {
		free(buf);
		return -EINVAL;
	}
	p++;
	for (field = 3; k < IMAGE_FP_FIELDS; field++) {
		uint64_t v;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		if (field == fp_fields[k]) {
			if (probe_parse_u64(p, 10, &v, &end) ||
			    (*end != ' ' && *end != '\n' && *end)) {
				free(buf);
				return -EINVAL;
			}
			fp->v[k++] = v;
		}
		p += strcspn(p, " \n");
	}
	free(buf);
	return k == IMAGE_FP_FIELDS ? 0 : -EINVAL;
}

bool image_fp_equal(const struct image_fp *a, const struct image_fp *b)
{
	return !memcmp(a->v, b->v, sizeof(a->v));
}
