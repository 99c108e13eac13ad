// SPDX-License-Identifier: GPL-2.0-only
/*
 * Peer credentials and the target check of the control socket (access.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "access.h"
#include "proc_file.h"

#define CAP_SYS_ADMIN_BIT 21

/* The text after "\n<key>:" in a status file, or NULL. */
static const char *status_field(const char *buf, const char *key)
{
	size_t n = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, n) && p[n] == ':')
			return p + n + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int read_status(const char *proc_root, pid_t pid, char **buf)
{
	char path[PATH_MAX];
	int err;

	err = probe_path(path, sizeof(path), proc_root, "/%d/status", (int)pid);
	if (err)
		return err;
	err = probe_read_file(path, buf, NULL);
	return err ? -probe_task_errno(-err) : 0;
}

int access_task_uids(const char *proc_root, pid_t pid, uid_t uids[4])
{
	const char *p;
	char *buf, *end;
	uint64_t v;
	int i, err;

	err = read_status(proc_root, pid, &buf);
	if (err)
		return err;
	p = status_field(buf, "Uid");
	for (i = 0; p && i < 4; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (probe_parse_u64(p, 10, &v, &end) || v > UINT32_MAX)
			break;
		uids[i] = (uid_t)v;
		p = end;
	}
	free(buf);
	return i == 4 ? 0 : -EINVAL;
}

static int task_admin(const char *proc_root, pid_t pid, bool *admin)
{
	const char *p;
	char *buf, *end;
	uint64_t eff;
	int err;

	err = read_status(proc_root, pid, &buf);
	if (err)
		return err;
	p = status_field(buf, "CapEff");
	while (p && (*p == ' ' || *p == '\t'))
		p++;
	err = p ? probe_parse_u64(p, 16, &eff, &end) : -EINVAL;
	if (!err)
		*admin = (eff >> CAP_SYS_ADMIN_BIT) & 1;
	free(buf);
	return err;
}

int access_peer(int fd, const char *proc_root, struct peer *out)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int err;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	out->pid = cred.pid;
	out->uid = cred.uid;
	out->gid = cred.gid;
	out->admin = false;
	err = task_admin(proc_root, cred.pid, &out->admin);
	/* A peer gone already has no privilege to lend. */
	return err == -ESRCH ? 0 : err;
}

int access_check(const char *proc_root, const struct peer *peer, pid_t pid,
		 char *msg, size_t size)
{
	uid_t uids[4];
	int err, i;

	err = access_task_uids(proc_root, pid, uids);
	if (err == -ESRCH) {
		snprintf(msg, size, "No such process: pid %d", (int)pid);
		return err;
	}
	if (err) {
		snprintf(msg, size, "Cannot read pid %d: %s", (int)pid,
			 strerror(-err));
		return err;
	}
	if (peer->admin)
		return 0;
	for (i = 0; i < 3; i++) {
		if (uids[i] != peer->uid) {
			snprintf(msg, size,
				 "Permission denied: pid %d belongs to uid %u",
				 (int)pid, (unsigned int)uids[i]);
			return -EPERM;
		}
	}
	return 0;
}
