// SPDX-License-Identifier: GPL-2.0-only
/*
 * sd_notify(3) and sd_watchdog_enabled(3), the small part we need.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sd_notify.h"

static int notify_addr(const char *name, struct sockaddr_un *sa,
		       socklen_t *salen)
{
	size_t len = strlen(name);

	if (name[0] != '/' && name[0] != '@')
		return -EINVAL;
	if (len < 2 && name[0] == '@')
		return -EINVAL;
	/* a path needs its NUL; an abstract name has the leading one */
	if (len >= sizeof(sa->sun_path) + (name[0] == '@'))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, len);
	if (name[0] == '@') {
		sa->sun_path[0] = '\0';
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     len);
	} else {
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     len + 1);
	}
	return 0;
}

int sd_notify_send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	size_t len;
	ssize_t sent;
	int fd, r;

	if (!state || !*state)
		return -EINVAL;
	if (!name || !*name)
		return 0;
	r = notify_addr(name, &sa, &salen);
	if (r)
		return r;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	len = strlen(state);
	sent = sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sa,
		      salen);
	if (sent < 0)
		r = -errno;
	else if ((size_t)sent != len)
		r = -EMSGSIZE;
	close(fd);
	return r;
}

/* A positive decimal number, nothing else. */
static int env_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out == 0)
		return -EINVAL;
	return 0;
}

int sd_watchdog_interval(uint64_t *usec)
{
	const char *us = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	*usec = 0;
	if (!us)
		return 0;
	if (env_u64(us, &v))
		return -EINVAL;
	if (pid) {
		if (env_u64(pid, &p))
			return -EINVAL;
		if (p != (uint64_t)getpid())
			return 0;
	}
	*usec = v;
	return 0;
}
