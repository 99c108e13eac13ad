// SPDX-License-Identifier: MIT
/*
 * libcontig's one idle connection to contigd. A call takes it out of the
 * slot (or opens its own when another thread holds it), and puts it back
 * afterwards unless the slot was filled meanwhile or the connection
 * broke. The connection belongs to the process that opened it: the
 * daemon knows its caller by the credentials of connect() time, so a
 * child after fork() opens its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "lib.h"
#include "proto.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int idle_fd = -1;
static pid_t idle_pid;
static char idle_dir[108]; /* $CONTIGD_RUNTIME_DIR it was opened under */
static uint32_t next_seq;

static const char *runtime_dir(void)
{
	const char *d = secure_getenv(CONTIG_RUNTIME_DIR_ENV);

	return d && *d ? d : CONTIG_RUNTIME_DIR;
}

int lib_range(const void *addr, size_t len, uint64_t *start, uint64_t *end)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t a = (uint64_t)(uintptr_t)addr, e;

	if (a % page || len > UINT64_MAX - a)
		return -EINVAL;
	e = a + len;
	if (e % page) {
		if (e > UINT64_MAX - page)
			return -EINVAL;
		e = (e / page + 1) * page;
	}
	*start = a;
	*end = e;
	return 0;
}

/* The idle connection, if it is ours; *seq for the next request. */
static int take(uint32_t *seq)
{
	int fd = -1;

	pthread_mutex_lock(&lock);
	if (idle_fd >= 0 && idle_pid == getpid() &&
	    !strcmp(idle_dir, runtime_dir())) {
		fd = idle_fd;
	} else if (idle_fd >= 0) {
		/*
		 * The parent's, inherited across fork (drop our copy), or
		 * one to a daemon of another runtime directory.
		 */
		close(idle_fd);
	}
	idle_fd = -1;
	*seq = ++next_seq;
	pthread_mutex_unlock(&lock);
	return fd;
}

static void give_back(int fd)
{
	pthread_mutex_lock(&lock);
	if (idle_fd < 0) {
		idle_fd = fd;
		idle_pid = getpid();
		snprintf(idle_dir, sizeof(idle_dir), "%s", runtime_dir());
		fd = -1;
	}
	pthread_mutex_unlock(&lock);
	if (fd >= 0)
		close(fd);
}

int lib_call(void *req, size_t len, void *reply, size_t cap, int timeout_ms)
{
	struct contig_msg_hdr *h = req;
	bool kept;
	uint32_t seq;
	int fd, n;

	fd = take(&seq);
	kept = fd >= 0;
	h->seq = seq;
	for (;;) {
		if (fd < 0) {
			n = contig_client_connect(NULL, &fd);
			if (n)
				return n;
		}
		n = contig_client_call(fd, req, len, reply, cap, timeout_ms,
				       NULL, NULL);
		if (n == -ENOTCONN && kept) {
			/* the daemon closed the kept connection: once more */
			close(fd);
			fd = -1;
			kept = false;
			continue;
		}
		break;
	}
	if (n < 0)
		close(fd);
	else
		give_back(fd);
	return n;
}
