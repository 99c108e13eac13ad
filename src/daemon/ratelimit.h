/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rate limits for the log lines a client can cause: at most
 * RATELIMIT_BURST lines per RATELIMIT_WINDOW_NS per connection and per
 * uid; what is held back is counted and reported with the next line that
 * passes.
 */
#ifndef CONTIG_DAEMON_RATELIMIT_H
#define CONTIG_DAEMON_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RATELIMIT_BURST 5
#define RATELIMIT_WINDOW_NS 10000000000ull
#define RATELIMIT_UID_SLOTS 64

struct ratelimit {
	uint64_t start_ns; /* of the current window */
	uint32_t n; /* lines in it */
	uint64_t suppressed; /* uid: held back since the last line let through */
};

struct ratelimit_uids {
	struct {
		uid_t uid;
		bool used;
		struct ratelimit rl;
	} e[RATELIMIT_UID_SLOTS];
};

/*
 * May one more line go out, under the connection's limit conn (NULL:
 * none) and uid's? When it may, *suppressed is how many lines of uid were
 * held back before it (under either limit), and that count restarts.
 */
bool ratelimit_pass(struct ratelimit *conn, struct ratelimit_uids *uids,
		    uid_t uid, uint64_t now_ns, uint64_t *suppressed);

/*
 * The next uid (from slot *pos on) whose window is over with lines held
 * back: true with *uid and *n (the count restarts), to be logged as a
 * summary; false when there is none left.
 */
bool ratelimit_next_summary(struct ratelimit_uids *uids, uint64_t now_ns,
			    size_t *pos, uid_t *uid, uint64_t *n);

#endif
