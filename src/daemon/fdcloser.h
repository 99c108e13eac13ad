/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Closing descriptors that clients passed us, and client connections.
 *
 * close() may wait: a file on a FUSE file system asks its server (FLUSH),
 * which a hostile client may never answer; a TCP socket with SO_LINGER
 * set waits for its queued data to leave; and closing a connection that
 * still holds packets with descriptors closes those. Such descriptors are
 * closed by a thread of their own, never on the main loop; a socket gets
 * SO_LINGER {1, 0} first (it is reset, not drained). Descriptors on
 * procfs (the proofs of access, target.h) are closed at once.
 *
 * The queue to the thread has no fixed size (nothing falls back to an
 * inline close), but each uid's share is counted: once a uid has
 * FDCLOSER_UID_MAX descriptors waiting, fdcloser_full() says so and the
 * listener stops reading that uid's connections until they are closed.
 */
#ifndef CONTIG_DAEMON_FDCLOSER_H
#define CONTIG_DAEMON_FDCLOSER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FDCLOSER_UID_MAX 64
/* uids counted apart; beyond, they share one count */
#define FDCLOSER_UIDS 32

struct fdcloser_entry {
	int fd;
	unsigned int count; /* index of its uid's count */
};

struct fdcloser_count {
	uid_t uid;
	unsigned int n; /* 0: slot free */
};

/* Shared with the thread, which frees it once stopped and drained. */
struct fdcloser_state {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct fdcloser_entry *q; /* ring of q_cap */
	size_t q_head, q_len, q_cap;
	struct fdcloser_count count[FDCLOSER_UIDS + 1]; /* last: the rest */
	bool stopping;
};

struct fdcloser {
	struct fdcloser_state *st; /* NULL: not started, or stopped */
	uint64_t proc_dev; /* the device of /proc */
	bool started;
};

/* 0 or -errno; before it (or after a failure) everything closes inline. */
int fdcloser_start(struct fdcloser *fc);
/*
 * Close fd, a descriptor uid passed (or uid's connection), without
 * waiting on its file. Never blocks; inline only before start, after
 * stop, or when out of memory (after SO_LINGER {1, 0}).
 */
void fdcloser_close(struct fdcloser *fc, int fd, uid_t uid);
/* Has uid FDCLOSER_UID_MAX descriptors or more waiting to be closed? */
bool fdcloser_full(struct fdcloser *fc, uid_t uid);
/* Stop the thread once it has closed what it was given. */
void fdcloser_stop(struct fdcloser *fc);

#endif
