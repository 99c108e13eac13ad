// SPDX-License-Identifier: GPL-2.0-only
/*
 * Closing client-passed descriptors off the main loop (fdcloser.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdcloser.h"

static uint64_t dev_of(int fd, const char *path, int flags, bool *sock)
{
	struct statx sx;

	/* no round trip to a file system server for cached attributes */
	if (statx(fd, path, flags | AT_STATX_DONT_SYNC, STATX_TYPE, &sx))
		return UINT64_MAX;
	if (sock)
		*sock = S_ISSOCK(sx.stx_mode);
	return ((uint64_t)sx.stx_dev_major << 32) | sx.stx_dev_minor;
}

/* A socket is reset, not drained: its close never waits (SO_LINGER). */
static void close_now(int fd)
{
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	bool sock = false;

	dev_of(fd, "", AT_EMPTY_PATH, &sock);
	if (sock)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	close(fd);
}

/* uid's count (lock held); a free slot is taken when add. */
static struct fdcloser_count *count_of(struct fdcloser *fc, uid_t uid,
				       bool add)
{
	struct fdcloser_count *c, *free_slot = NULL;

	for (c = fc->count; c < fc->count + FDCLOSER_UIDS; c++) {
		if (c->n && c->uid == uid)
			return c;
		if (!c->n && !free_slot)
			free_slot = c;
	}
	if (!add || !free_slot)
		return &fc->count[FDCLOSER_UIDS];
	free_slot->uid = uid;
	return free_slot;
}

static void *closer(void *arg)
{
	struct fdcloser *fc = arg;
	struct fdcloser_entry e;

	pthread_mutex_lock(&fc->lock);
	for (;;) {
		while (!fc->q_len && !fc->stopping)
			pthread_cond_wait(&fc->cond, &fc->lock);
		if (!fc->q_len)
			break;
		e = fc->q[fc->q_head];
		fc->q_head = (fc->q_head + 1) % fc->q_cap;
		fc->q_len--;
		pthread_mutex_unlock(&fc->lock);
		close_now(e.fd);
		pthread_mutex_lock(&fc->lock);
		fc->count[e.count].n--;
	}
	free(fc->q);
	fc->q = NULL;
	pthread_mutex_unlock(&fc->lock);
	return NULL;
}

int fdcloser_start(struct fdcloser *fc)
{
	pthread_t t;
	int err;

	fc->started = false;
	fc->stopping = false;
	fc->proc_dev = dev_of(AT_FDCWD, "/proc/self", 0, NULL);
	fc->q_cap = 256;
	fc->q_head = fc->q_len = 0;
	fc->q = calloc(fc->q_cap, sizeof(*fc->q));
	if (!fc->q)
		return -ENOMEM;
	for (size_t i = 0; i <= FDCLOSER_UIDS; i++)
		fc->count[i] = (struct fdcloser_count){ 0 };
	pthread_mutex_init(&fc->lock, NULL);
	pthread_cond_init(&fc->cond, NULL);
	err = pthread_create(&t, NULL, closer, fc);
	if (err) {
		pthread_mutex_destroy(&fc->lock);
		pthread_cond_destroy(&fc->cond);
		free(fc->q);
		fc->q = NULL;
		return -err;
	}
	pthread_detach(t);
	fc->started = true;
	return 0;
}

/* Room for one more entry (lock held). 0 or -ENOMEM. */
static int grow(struct fdcloser *fc)
{
	struct fdcloser_entry *q;
	size_t i;

	if (fc->q_len < fc->q_cap)
		return 0;
	q = calloc(fc->q_cap * 2, sizeof(*q));
	if (!q)
		return -ENOMEM;
	for (i = 0; i < fc->q_len; i++)
		q[i] = fc->q[(fc->q_head + i) % fc->q_cap];
	free(fc->q);
	fc->q = q;
	fc->q_head = 0;
	fc->q_cap *= 2;
	return 0;
}

void fdcloser_close(struct fdcloser *fc, int fd, uid_t uid)
{
	bool queued = false;

	if (fd < 0)
		return;
	if (fc->started && dev_of(fd, "", AT_EMPTY_PATH, NULL) != fc->proc_dev) {
		pthread_mutex_lock(&fc->lock);
		if (!grow(fc)) {
			struct fdcloser_count *c = count_of(fc, uid, true);

			c->n++;
			fc->q[(fc->q_head + fc->q_len) % fc->q_cap] =
				(struct fdcloser_entry){
					fd, (unsigned int)(c - fc->count)
				};
			fc->q_len++;
			pthread_cond_signal(&fc->cond);
			queued = true;
		}
		pthread_mutex_unlock(&fc->lock);
	}
	if (!queued)
		close_now(fd);
}

bool fdcloser_full(struct fdcloser *fc, uid_t uid)
{
	bool full;

	if (!fc->started)
		return false;
	pthread_mutex_lock(&fc->lock);
	full = count_of(fc, uid, false)->n >= FDCLOSER_UID_MAX;
	pthread_mutex_unlock(&fc->lock);
	return full;
}

void fdcloser_stop(struct fdcloser *fc)
{
	if (!fc->started)
		return;
	/* the thread ends once the queue is empty; one stuck in a close stays */
	pthread_mutex_lock(&fc->lock);
	fc->stopping = true;
	pthread_cond_signal(&fc->cond);
	pthread_mutex_unlock(&fc->lock);
	fc->started = false;
}
