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
static struct fdcloser_count *count_of(struct fdcloser_state *st, uid_t uid,
				       bool add)
{
	struct fdcloser_count *c, *free_slot = NULL;

	for (c = st->count; c < st->count + FDCLOSER_UIDS; c++) {
		if (c->n && c->uid == uid)
			return c;
		if (!c->n && !free_slot)
			free_slot = c;
	}
	if (!add || !free_slot)
		return &st->count[FDCLOSER_UIDS];
	free_slot->uid = uid;
	return free_slot;
}

static void state_free(struct fdcloser_state *st)
{
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	free(st->q);
	free(st);
}

static void *closer(void *arg)
{
	struct fdcloser_state *st = arg;
	struct fdcloser_entry e;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (!st->q_len && !st->stopping)
			pthread_cond_wait(&st->cond, &st->lock);
		if (!st->q_len)
			break;
		e = st->q[st->q_head];
		st->q_head = (st->q_head + 1) % st->q_cap;
		st->q_len--;
		pthread_mutex_unlock(&st->lock);
		close_now(e.fd);
		pthread_mutex_lock(&st->lock);
		st->count[e.count].n--;
	}
	pthread_mutex_unlock(&st->lock);
	state_free(st);
	return NULL;
}

int fdcloser_start(struct fdcloser *fc)
{
	struct fdcloser_state *st;
	pthread_t t;
	int err;

	fc->started = false;
	fc->st = NULL;
	fc->proc_dev = dev_of(AT_FDCWD, "/proc/self", 0, NULL);
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->q_cap = 256;
	st->q = calloc(st->q_cap, sizeof(*st->q));
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	err = st->q ? pthread_create(&t, NULL, closer, st) : ENOMEM;
	if (err) {
		state_free(st);
		return -err;
	}
	pthread_detach(t);
	fc->st = st;
	fc->started = true;
	return 0;
}

/* Room for one more entry (lock held). 0 or -ENOMEM. */
static int grow(struct fdcloser_state *st)
{
	struct fdcloser_entry *q;
	size_t i;

	if (st->q_len < st->q_cap)
		return 0;
	q = calloc(st->q_cap * 2, sizeof(*q));
	if (!q)
		return -ENOMEM;
	for (i = 0; i < st->q_len; i++)
		q[i] = st->q[(st->q_head + i) % st->q_cap];
	free(st->q);
	st->q = q;
	st->q_head = 0;
	st->q_cap *= 2;
	return 0;
}

void fdcloser_close(struct fdcloser *fc, int fd, uid_t uid)
{
	struct fdcloser_state *st = fc->st;
	bool queued = false;

	if (fd < 0)
		return;
	if (fc->started && dev_of(fd, "", AT_EMPTY_PATH, NULL) != fc->proc_dev) {
		pthread_mutex_lock(&st->lock);
		if (!grow(st)) {
			struct fdcloser_count *c = count_of(st, uid, true);

			c->n++;
			st->q[(st->q_head + st->q_len) % st->q_cap] =
				(struct fdcloser_entry){
					fd, (unsigned int)(c - st->count)
				};
			st->q_len++;
			pthread_cond_signal(&st->cond);
			queued = true;
		}
		pthread_mutex_unlock(&st->lock);
	}
	if (!queued)
		close_now(fd);
}

bool fdcloser_full(struct fdcloser *fc, uid_t uid)
{
	bool full;

	if (!fc->started)
		return false;
	pthread_mutex_lock(&fc->st->lock);
	full = count_of(fc->st, uid, false)->n >= FDCLOSER_UID_MAX;
	pthread_mutex_unlock(&fc->st->lock);
	return full;
}

void fdcloser_stop(struct fdcloser *fc)
{
	if (!fc->started)
		return;
	/*
	 * The thread ends once the queue is empty, and frees the state; one
	 * stuck in a close stays.
	 */
	pthread_mutex_lock(&fc->st->lock);
	fc->st->stopping = true;
	pthread_cond_signal(&fc->st->cond);
	pthread_mutex_unlock(&fc->st->lock);
	fc->st = NULL;
	fc->started = false;
}
