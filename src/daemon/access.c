// SPDX-License-Identifier: GPL-2.0-only
/*
 * Peer credentials of the control socket (access.h).
 */
#include <errno.h>
#include <sys/socket.h>

#include "access.h"

int access_peer(int fd, struct peer *out)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	out->pid = cred.pid;
	out->uid = cred.uid;
	out->gid = cred.gid;
	return 0;
}
