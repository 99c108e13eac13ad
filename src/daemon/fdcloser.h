/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Closing descriptors that clients passed us. close() of a file on a
 * FUSE file system asks its server (FLUSH), which a hostile client may
 * never answer: such descriptors are closed by a thread of their own, so
 * that the main loop never waits for one. Descriptors on procfs (the
 * proofs of access, target.h) are closed at once.
 */
#ifndef CONTIG_DAEMON_FDCLOSER_H
#define CONTIG_DAEMON_FDCLOSER_H

#include <stdbool.h>
#include <stdint.h>

struct fdcloser {
	int pipe[2]; /* fd numbers to close: main -> closer thread */
	uint64_t proc_dev; /* the device of /proc */
	bool started;
};

/* 0 or -errno; before it (or after a failure) everything closes inline. */
int fdcloser_start(struct fdcloser *fc);
/* Close fd, a descriptor a client passed, without waiting on its file. */
void fdcloser_close(struct fdcloser *fc, int fd);
/* Stop the thread once it has closed what it was given. */
void fdcloser_stop(struct fdcloser *fc);

#endif
