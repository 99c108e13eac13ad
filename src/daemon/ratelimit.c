// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rate limits for client-caused log lines (ratelimit.h).
 */
#include <string.h>

#include "ratelimit.h"

static bool room(struct ratelimit *rl, uint64_t now)
{
	if (now - rl->start_ns >= RATELIMIT_WINDOW_NS || !rl->start_ns) {
		rl->start_ns = now ? now : 1;
		rl->n = 0;
	}
	return rl->n < RATELIMIT_BURST;
}

/* The slot of uid: hashed; another uid's slot is taken over. */
static struct ratelimit *uid_slot(struct ratelimit_uids *t, uid_t uid)
{
	size_t i = (size_t)uid * 2654435761u % RATELIMIT_UID_SLOTS;

	if (!t->e[i].used || t->e[i].uid != uid) {
		memset(&t->e[i], 0, sizeof(t->e[i]));
		t->e[i].used = true;
		t->e[i].uid = uid;
	}
	return &t->e[i].rl;
}

bool ratelimit_pass(struct ratelimit *conn, struct ratelimit_uids *uids,
		    uid_t uid, uint64_t now_ns, uint64_t *suppressed)
{
	struct ratelimit *u = uid_slot(uids, uid);
	bool ok = room(u, now_ns) && (!conn || room(conn, now_ns));

	/* Counted per uid: the count outlives a connection that closes. */
	if (!ok) {
		u->suppressed++;
		return false;
	}
	u->n++;
	if (conn)
		conn->n++;
	*suppressed = u->suppressed;
	u->suppressed = 0;
	return true;
}

bool ratelimit_next_summary(struct ratelimit_uids *uids, uint64_t now_ns,
			    size_t *pos, uid_t *uid, uint64_t *n)
{
	for (; *pos < RATELIMIT_UID_SLOTS; (*pos)++) {
		struct ratelimit *rl = &uids->e[*pos].rl;

		if (!uids->e[*pos].used || !rl->suppressed ||
		    now_ns - rl->start_ns < RATELIMIT_WINDOW_NS)
			continue;
		*uid = uids->e[*pos].uid;
		*n = rl->suppressed;
		rl->suppressed = 0;
		(*pos)++;
		return true;
	}
	return false;
}
