// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bpf mode: exited (or unwatched) processes leave the kernel maps and
 * the front's tables, all of one poll's exits in one walk of each map.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>

#include "observer_bpf.skel.h"

#include "bpf/observer.h"
#include "observer_bpf_int.h"

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return (x > y) - (x < y);
}

/*
 * One walk of each map, then the deletes. Deleting the key a walk
 * stands on restarts the walk, and a walk per deleted entry made the
 * exit of a process with thousands of VMAs, or hundreds of exits at
 * once, hold the main thread for tens of seconds.
 */
void obs_bpf_forget_tgids(struct obs_bpf *b, __u32 *tgids, size_t n)
{
	size_t max = bpf_map__max_entries(b->skel->maps.watched_mm), nr = 0;
	__u64 *mm, key, next, *prev = NULL;
	__u32 owner;
	long heat, i;

	if (!n)
		return;
	qsort(tgids, n, sizeof(*tgids), cmp_u32);
	for (i = 0; i < (long)n; i++) {
		bpf_map_delete_elem(b->watched_fd, &tgids[i]);
		bpf_map_delete_elem(b->last_fd, &tgids[i]);
	}
	heat = obs_bpf_read_heat(b);
	for (i = 0; i < heat; i++)
		if (bsearch(&b->keys[i].tgid, tgids, n, sizeof(*tgids),
			    cmp_u32))
			bpf_map_delete_elem(b->heat_fd, &b->keys[i]);
	mm = malloc(max * sizeof(*mm));
	if (!mm)
		return;
	while (nr < max && !bpf_map_get_next_key(b->mm_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(b->mm_fd, &next, &owner) &&
		    bsearch(&owner, tgids, n, sizeof(*tgids), cmp_u32))
			mm[nr++] = next;
		key = next;
		prev = &key;
	}
	for (i = 0; i < (long)nr; i++)
		bpf_map_delete_elem(b->mm_fd, &mm[i]);
	free(mm);
}

int obs_bpf_forget_exited(struct observer *o)
{
	size_t i, n = o->ev_nr, nr_exited = 0;
	__u32 *exited;

	exited = malloc((n ? n : 1) * sizeof(*exited));
	if (!exited)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (o->evq[i].type == OBSERVER_EV_EXIT) {
			exited[nr_exited++] = (__u32)o->evq[i].pid;
			obs_forget_pid(o, o->evq[i].pid);
		}
	}
	obs_bpf_forget_tgids(o->bpf, exited, nr_exited);
	free(exited);
	return 0;
}
