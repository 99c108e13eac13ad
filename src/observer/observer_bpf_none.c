// SPDX-License-Identifier: GPL-2.0-only
/* Built without clang/bpftool/libbpf: bpf mode is never available. */
#include "observer_int.h"

#include <errno.h>
#include <stdio.h>

int obs_bpf_open(struct observer *o, char *why, size_t whylen)
{
	(void)o;
	snprintf(why, whylen, "built without BPF support");
	return -EOPNOTSUPP;
}

void obs_bpf_close(struct observer *o)
{
	(void)o;
}

int obs_bpf_watch(struct observer *o, pid_t pid)
{
	(void)o;
	(void)pid;
	return -EOPNOTSUPP;
}

int obs_bpf_unwatch(struct observer *o, pid_t pid)
{
	(void)o;
	(void)pid;
	return -EOPNOTSUPP;
}

int obs_bpf_poll(struct observer *o, uint64_t now_ns)
{
	(void)o;
	(void)now_ns;
	return -EOPNOTSUPP;
}

int obs_bpf_snapshot(struct observer *o, pid_t pid, struct vma_list *out)
{
	(void)o;
	(void)pid;
	(void)out;
	return -EOPNOTSUPP;
}

void obs_bpf_counters(const struct observer *o, struct observer_counters *c)
{
	(void)o;
	(void)c;
}
