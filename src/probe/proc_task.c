// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/PID/stat: "PID (COMM) STATE PPID PGRP SESSION TTY TPGID FLAGS ..."
 * COMM may itself contain ") ", so the last ')' ends it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proc_file.h"
#include "proc_task.h"

int proc_task_parse_stat(const char *buf, struct proc_task *out)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	const char *s;
	uint64_t pid, v;
	char *e;
	size_t n;
	int i;

	memset(out, 0, sizeof(*out));
	if (!open || !close || close < open)
		return -EINVAL;
	if (probe_parse_u64(buf, 10, &pid, &e) || e + 1 != open || *e != ' ' ||
	    pid == 0 || pid > INT_MAX)
		return -EINVAL;
	out->pid = (pid_t)pid;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(out->comm))
		n = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, n);
	s = close + 1;
	if (s[0] != ' ' || !s[1] || s[2] != ' ')
		return -EINVAL;
	out->state = s[1];
	s += 3;
	/* ppid, pgrp, session, tty_nr, tpgid (may be -1), then flags */
	for (i = 0; i < 5; i++) {
		s = strchr(s, ' ');
		if (!s)
			return -EINVAL;
		s++;
	}
	if (probe_parse_u64(s, 10, &v, &e) || (*e != ' ' && *e != '\n' && *e))
		return -EINVAL;
	out->flags = v;
	out->kthread = v & PROBE_PF_KTHREAD;
	out->zombie = out->state == 'Z' || out->state == 'X';
	return 0;
}

int proc_task_read(const char *proc_root, pid_t pid, struct proc_task *out)
{
	char path[PATH_MAX];
	char *buf;
	int err;

	err = probe_path(path, sizeof(path), proc_root, "%d/stat", (int)pid);
	if (err)
		return err;
	err = probe_read_file(path, &buf, NULL);
	if (err)
		return -probe_task_errno(-err);
	err = proc_task_parse_stat(buf, out);
	free(buf);
	return err;
}
