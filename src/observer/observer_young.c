// SPDX-License-Identifier: GPL-2.0-only
/*
 * The access sampler through the kernel helper (heat source "young"):
 * adaptive regions per VMA (regions.c), one page per region and round
 * tested and cleared with CONTIG_IOC_SAMPLE over the process's pidfd,
 * which keeps what reclaim would have learnt (contig(4)). Every
 * YOUNG_AGGR rounds the VMA list is read again, each VMA's accessed
 * pages go into the heat, and its regions adapt. Watching a process
 * runs its first round (prepares only): its heat is known two rounds
 * later.
 *
 * Private writable anonymous VMAs of 2 MiB or more are sampled: smaller
 * ones have nothing to gain from contiguity.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "array.h"
#include "contig_ioctl.h"
#include "observer_int.h"
#include "regions.h"

#define YOUNG_AGGR 2
#define YOUNG_MIN_VMA (2u << 20)
#define YOUNG_MAX_VMAS 1024 /* sampled per process */

struct young_pid {
	pid_t pid;
	int pidfd;
	struct vma_regions *v;
	size_t nr;
	unsigned int round;
};

struct obs_young {
	int dev;
	struct young_pid *p;
	size_t nr, cap;
	uint64_t rng;
	uint64_t addrs[CONTIG_MAX_SAMPLE];
	uint8_t res[CONTIG_MAX_SAMPLE];
};

int obs_young_open(struct observer *o, const char *dev_path)
{
	struct contig_info info;
	struct obs_young *y;
	int fd, err;

	fd = open(dev_path ? dev_path : CONTIG_DEVICE_PATH,
		  O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, CONTIG_IOC_INFO, &info)) {
		err = -errno;
		goto err_close;
	}
	if (!(info.caps & CONTIG_CAP_SAMPLE)) {
		err = -EOPNOTSUPP;
		goto err_close;
	}
	y = calloc(1, sizeof(*y));
	if (!y) {
		err = -ENOMEM;
		goto err_close;
	}
	y->dev = fd;
	y->rng = obs_now_ns() | 1;
	o->young = y;
	return 0;
err_close:
	close(fd);
	return err;
}

static void drop(struct obs_young *y, size_t i)
{
	close(y->p[i].pidfd);
	free(y->p[i].v);
	y->p[i] = y->p[--y->nr];
}

void obs_young_close(struct observer *o)
{
	struct obs_young *y = o->young;

	if (!y)
		return;
	while (y->nr)
		drop(y, y->nr - 1);
	free(y->p);
	close(y->dev);
	free(y);
	o->young = NULL;
}

static ssize_t find(const struct obs_young *y, pid_t pid)
{
	size_t i;

	for (i = 0; i < y->nr; i++)
		if (y->p[i].pid == pid)
			return (ssize_t)i;
	return -1;
}

static int round_pid(struct observer *o, struct young_pid *p, uint64_t now);

int obs_young_watch(struct observer *o, pid_t pid)
{
	struct obs_young *y = o->young;
	struct young_pid *p;
	int fd;

	if (find(y, pid) >= 0)
		return 0;
	p = array_reserve(y->p, &y->cap, y->nr + 1, sizeof(*p), 16);
	if (!p)
		return -ENOMEM;
	y->p = p;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	p = &y->p[y->nr++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->pidfd = fd;
	/* The first round prepares: the next one can check already. */
	return round_pid(o, p, obs_now_ns());
}

int obs_young_unwatch(struct observer *o, pid_t pid)
{
	ssize_t i = find(o->young, pid);

	if (i >= 0)
		drop(o->young, (size_t)i);
	return 0;
}

/* The VMAs to sample now, keeping the regions of those that stayed. */
static int refresh(struct observer *o, struct young_pid *p)
{
	struct vma_list maps = { 0 };
	struct vma_regions *next;
	size_t i, k, n = 0;
	int err;

	err = maps_read(o->opts.proc_root, p->pid, &maps);
	if (err)
		return err;
	next = calloc(maps.nr ? maps.nr : 1, sizeof(*next));
	if (!next) {
		vma_list_free(&maps);
		return -ENOMEM;
	}
	for (i = 0; i < maps.nr && n < YOUNG_MAX_VMAS; i++) {
		const struct vma_info *m = &maps.v[i];

		if ((m->kind != VMA_KIND_ANON && m->kind != VMA_KIND_HEAP) ||
		    m->perms[1] != 'w' || m->perms[3] != 'p' ||
		    m->end - m->start < YOUNG_MIN_VMA)
			continue;
		for (k = 0; k < p->nr; k++)
			if (p->v[k].start == m->start && p->v[k].end == m->end)
				break;
		if (k < p->nr)
			next[n++] = p->v[k];
		else
			regions_init(&next[n++], m->start, m->end);
	}
	vma_list_free(&maps);
	free(p->v);
	p->v = next;
	p->nr = n;
	return 0;
}

/* One ioctl over addrs[0, n). 0 or -errno. */
static int sample(struct obs_young *y, int pidfd, size_t n)
{
	struct contig_sample s = {
		.pidfd = pidfd,
		.count = (uint32_t)n,
		.addrs = (uintptr_t)y->addrs,
		.results = (uintptr_t)y->res,
	};

	return ioctl(y->dev, CONTIG_IOC_SAMPLE, &s) ? -errno : 0;
}

/* One round of one process: checks and prepares, VMA by VMA. */
static int round_pid(struct observer *o, struct young_pid *p, uint64_t now)
{
	struct obs_young *y = o->young;
	size_t i, first = 0, n = 0, nr_check[YOUNG_MAX_VMAS], at[YOUNG_MAX_VMAS];
	int err;

	if (p->round++ % YOUNG_AGGR == 0) {
		for (i = 0; p->round > 1 && i < p->nr; i++) {
			uint64_t acc = regions_aggregate(&p->v[i], &y->rng);

			err = heat_add(&o->heat, p->pid, p->v[i].start, acc,
				       now);
			if (err)
				return err;
		}
		err = refresh(o, p);
		if (err)
			return err;
	}
	for (i = 0; i <= p->nr; i++) {
		/* flush a full batch, and the last one */
		if (i == p->nr || n + 2 * REGIONS_MAX > CONTIG_MAX_SAMPLE) {
			size_t k, off = 0;
			uint64_t c0;

			c0 = obs_cpu_ns();
			err = n ? sample(y, p->pidfd, n) : 0;
			if (err)
				return err;
			o->sample_ioctl_ns += obs_cpu_ns() - c0;
			o->sample_addrs += n;
			for (k = first; k < i; k++) {
				regions_record(&p->v[k], y->res + off,
					       nr_check[k - first],
					       CONTIG_SAMPLE_YOUNG);
				off += at[k - first];
			}
			first = i;
			n = 0;
			if (i == p->nr)
				break;
		}
		at[i - first] = regions_round(&p->v[i], &y->rng,
					      y->addrs + n, &nr_check[i - first]);
		n += at[i - first];
	}
	return 0;
}

int obs_young_poll(struct observer *o, uint64_t now_ns)
{
	struct obs_young *y = o->young;
	size_t i;
	int err, ret = 0;

	for (i = y->nr; i-- > 0;) {
		err = round_pid(o, &y->p[i], now_ns);
		if (err == -ESRCH) {
			/* The bpf backend reports the exit. */
			drop(y, i);
			err = 0;
		}
		if (err && !ret)
			ret = err;
	}
	return ret;
}
