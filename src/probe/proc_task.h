/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What kind of task a pid is, from <proc_root>/PID/stat: its name, its
 * state, and whether it is a kernel thread (which has no user memory).
 */
#ifndef CONTIG_PROBE_PROC_TASK_H
#define CONTIG_PROBE_PROC_TASK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* include/linux/sched.h: "I am a kernel thread". */
#define PROBE_PF_KTHREAD 0x00200000u

struct proc_task {
	pid_t pid;
	char comm[64];  /* may contain spaces and parentheses */
	char state;     /* 'R', 'S', 'Z', ... */
	uint64_t flags; /* PF_* */
	bool kthread;
	bool zombie;
};

/* Parse the text of a stat file. 0 or -EINVAL. */
int proc_task_parse_stat(const char *buf, struct proc_task *out);

/* Read <proc_root>/PID/stat. 0, -ESRCH, -EINVAL, -ENOMEM, -errno. */
int proc_task_read(const char *proc_root, pid_t pid, struct proc_task *out);

#endif
