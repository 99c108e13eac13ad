// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bpf mode: loads bpf/observer.bpf.c through its skeleton.
 *
 * Loader order (libbpf-bootstrap): open -> rodata knobs -> autoload
 * choices -> load -> attach. What the kernel supports is probed, not
 * guessed: a program whose attach point is missing from the kernel's BTF
 * is not loaded, and the fault hook is tried in order
 *   tp_btf/page_fault_user (x86 tracepoint, VMA via bpf_find_vma)
 *   fentry/handle_mm_fault (any arch with BPF trampolines)
 * each with all optional programs first, then with the fault hook alone
 * (an optional program the verifier rejects must not cost the heat);
 * "alone" keeps sys_enter/sys_exit for the tracepoint hook, whose cached
 * VMA lookups are only safe while those bump the layout generation.
 */
#include "array.h"
#include "observer_int.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "observer.h"
#include "observer_bpf.skel.h"

#include "bpf/observer.h"
#include "observer_bpf_int.h"

enum fault_hook { HOOK_TP, HOOK_FENTRY, HOOK_NR };

static const char *const hook_name[HOOK_NR] = {
	"tp_btf/page_fault_user",
	"fentry/handle_mm_fault",
};

/* libbpf's print hook is process-wide: route it to the last opener. */
static struct observer *print_owner;
static bool print_probing;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char msg[1024];
	size_t n;
	int prio;

	if (!print_owner)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (level == LIBBPF_WARN && !print_probing)
		prio = LOG_WARNING;
	else
		prio = LOG_DEBUG;
	obs_log(print_owner, prio, "%s", msg);
	return 0;
}

static bool btf_has(const struct btf *btf, const char *name, __u32 kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) >= 0;
}

struct optional_prog {
	const char *name; /* program name in the skeleton */
	const char *target; /* BTF name that must exist */
	__u32 kind;
	bool tp_needs; /* fault_tp's cached lookups rely on it */
};

static const struct optional_prog optional[] = {
	{ "sys_enter", "btf_trace_sys_enter", BTF_KIND_TYPEDEF, true },
	{ "sys_exit", "btf_trace_sys_exit", BTF_KIND_TYPEDEF, true },
	{ "proc_exit", "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF,
	  false },
	{ "collapse", "btf_trace_mm_collapse_huge_page", BTF_KIND_TYPEDEF,
	  false },
	{ "migration_pte", "btf_trace_set_migration_pte", BTF_KIND_TYPEDEF,
	  false },
	{ "migrate_pages", "btf_trace_mm_migrate_pages", BTF_KIND_TYPEDEF,
	  false },
	{ "compaction_begin", "btf_trace_mm_compaction_begin", BTF_KIND_TYPEDEF,
	  false },
	{ "vma_iter", "bpf_iter__task_vma", BTF_KIND_STRUCT, false },
};

static void teardown(struct obs_bpf *b)
{
	size_t i;

	ring_buffer__free(b->rb);
	b->rb = NULL;
	for (i = 0; i < b->nlinks; i++)
		bpf_link__destroy(b->links[i]);
	b->nlinks = 0;
	observer_bpf__destroy(b->skel);
	b->skel = NULL;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct obs_bpf *b = ctx;
	const struct obs_event *ev = data;
	static const enum observer_event_type map[] = {
		[OBS_EV_MUNMAP] = OBSERVER_EV_MUNMAP,
		[OBS_EV_MREMAP] = OBSERVER_EV_MREMAP,
		[OBS_EV_MADVISE] = OBSERVER_EV_MADVISE,
		[OBS_EV_EXIT] = OBSERVER_EV_EXIT,
		[OBS_EV_COLLAPSE] = OBSERVER_EV_COLLAPSE,
		[OBS_EV_MIGRATE] = OBSERVER_EV_MIGRATE,
	};
	__u32 tgid;

	if (size < sizeof(*ev) || !ev->type ||
	    ev->type >= sizeof(map) / sizeof(map[0]))
		return 0;
	tgid = ev->tgid;
	/* Let the next identical event through: this one was seen. */
	bpf_map_delete_elem(b->last_fd, &tgid);
	return obs_queue_event(b->owner, map[ev->type], (pid_t)ev->tgid,
			       ev->addr, ev->len, ev->arg);
}

/* Syscalls that can move VMA boundaries, and the three with events. */
static const struct {
	long nr;
	__u32 kind;
} syscalls[] = {
	{ SYS_munmap, OBS_SYS_MUNMAP },
	{ SYS_mremap, OBS_SYS_MREMAP },
	{ SYS_madvise, OBS_SYS_MADVISE },
	{ SYS_mmap, OBS_SYS_LAYOUT },
	{ SYS_mprotect, OBS_SYS_LAYOUT },
	{ SYS_brk, OBS_SYS_LAYOUT },
	{ SYS_mlock, OBS_SYS_LAYOUT },
	{ SYS_munlock, OBS_SYS_LAYOUT },
	{ SYS_mlockall, OBS_SYS_LAYOUT },
	{ SYS_munlockall, OBS_SYS_LAYOUT },
	{ SYS_execve, OBS_SYS_LAYOUT },
	{ SYS_shmat, OBS_SYS_LAYOUT },
	{ SYS_shmdt, OBS_SYS_LAYOUT },
	{ SYS_remap_file_pages, OBS_SYS_LAYOUT },
	{ SYS_prctl, OBS_SYS_LAYOUT }, /* PR_SET_VMA names split VMAs */
#ifdef SYS_mlock2
	{ SYS_mlock2, OBS_SYS_LAYOUT },
#endif
#ifdef SYS_pkey_mprotect
	{ SYS_pkey_mprotect, OBS_SYS_LAYOUT },
#endif
#ifdef SYS_execveat
	{ SYS_execveat, OBS_SYS_LAYOUT },
#endif
#ifdef SYS_mseal
	{ SYS_mseal, OBS_SYS_LAYOUT },
#endif
};

static int fill_sys_kind(int fd)
{
	size_t i;

	for (i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++) {
		__u32 nr = (__u32)syscalls[i].nr;

		if (bpf_map_update_elem(fd, &nr, &syscalls[i].kind, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* One attempt: 0 with everything attached, or -errno (and torn down). */
static int try_load(struct observer *o, struct obs_bpf *b,
		    const struct btf *btf, enum fault_hook hook,
		    bool with_optional, char *desc, size_t desclen)
{
	struct bpf_program *fault;
	struct bpf_link *link;
	size_t i, used;
	int err;

	b->skel = observer_bpf__open();
	if (!b->skel)
		return errno ? -errno : -EINVAL;
	b->skel->rodata->watch_all = o->opts.watch_all;

	fault = hook == HOOK_TP ? b->skel->progs.fault_tp :
				  b->skel->progs.fault_fentry;
	bpf_program__set_autoload(b->skel->progs.fault_tp, hook == HOOK_TP);
	bpf_program__set_autoload(b->skel->progs.fault_fentry,
				  hook == HOOK_FENTRY);
	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(
			b->skel->obj, optional[i].name);
		bool needed = hook == HOOK_TP && optional[i].tp_needs;
		bool have = btf_has(btf, optional[i].target, optional[i].kind);

		if (!p || (needed && !have)) {
			err = -ENOENT;
			goto fail;
		}
		bpf_program__set_autoload(p, have && (with_optional || needed));
	}
	err = observer_bpf__load(b->skel);
	if (err)
		goto fail;
	err = fill_sys_kind(bpf_map__fd(b->skel->maps.sys_kind));
	if (err)
		goto fail;
	link = bpf_program__attach(fault);
	if (!link) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	b->links[b->nlinks++] = link;
	used = (size_t)snprintf(desc, desclen, "faults %s", hook_name[hook]);
	b->have_iter = false;
	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(
			b->skel->obj, optional[i].name);

		if (!p || !bpf_program__autoload(p))
			continue;
		if (!strcmp(optional[i].name, "vma_iter")) {
			b->have_iter = true; /* attached per snapshot */
		} else {
			link = bpf_program__attach(p);
			if (!link && hook == HOOK_TP && optional[i].tp_needs) {
				err = errno ? -errno : -EINVAL;
				goto fail;
			}
			if (!link) {
				obs_log(o, LOG_DEBUG, "attach %s: %s",
					optional[i].name, strerror(errno));
				continue;
			}
			b->links[b->nlinks++] = link;
		}
		if (used < desclen)
			used += (size_t)snprintf(desc + used, desclen - used,
						 ", %s", optional[i].name);
	}
	b->heat_fd = bpf_map__fd(b->skel->maps.heat);
	b->watched_fd = bpf_map__fd(b->skel->maps.watched);
	b->mm_fd = bpf_map__fd(b->skel->maps.watched_mm);
	b->last_fd = bpf_map__fd(b->skel->maps.last_event);
	b->counters_fd = bpf_map__fd(b->skel->maps.counters);
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events),
				 handle_event, b, NULL);
	if (!b->rb) {
		err = errno ? -errno : -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	teardown(b);
	return err;
}

int obs_bpf_open(struct observer *o, char *why, size_t whylen)
{
	struct obs_bpf *b;
	struct btf *btf;
	int err = -ENOENT, hook, opt;

	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	b->owner = o;
	b->batch_ok = true;
	print_owner = o;
	libbpf_set_print(libbpf_print);
	print_probing = true;

	btf = btf__load_vmlinux_btf();
	if (!btf) {
		err = errno ? -errno : -ENOENT;
		snprintf(why, whylen, "no kernel BTF (%s)", strerror(-err));
		goto fail;
	}
	for (hook = 0; hook < HOOK_NR; hook++) {
		if (o->opts.fault_hook &&
		    strncmp(hook_name[hook], o->opts.fault_hook,
			    strlen(o->opts.fault_hook)))
			continue;
		if (hook == HOOK_TP &&
		    !btf_has(btf, "btf_trace_page_fault_user",
			     BTF_KIND_TYPEDEF))
			continue;
		if (hook == HOOK_FENTRY &&
		    !btf_has(btf, "handle_mm_fault", BTF_KIND_FUNC))
			continue;
		for (opt = 1; opt >= 0; opt--) {
			err = try_load(o, b, btf, (enum fault_hook)hook, opt,
				       why, whylen);
			if (!err)
				goto loaded;
			obs_log(o, LOG_DEBUG, "%s%s: %s", hook_name[hook],
				opt ? " + optional programs" : " alone",
				strerror(-err));
		}
	}
	snprintf(why, whylen, "no fault hook loads (last error: %s)",
		 strerror(-err));
	btf__free(btf);
	goto fail;
loaded:
	btf__free(btf);
	print_probing = false;
	o->bpf = b;
	return 0;
fail:
	print_probing = false;
	print_owner = NULL;
	free(b);
	return err;
}

void obs_bpf_close(struct observer *o)
{
	struct obs_bpf *b = o->bpf;

	if (!b)
		return;
	teardown(b);
	if (print_owner == o)
		print_owner = NULL;
	free(b->keys);
	free(b->vals);
	free(b);
	o->bpf = NULL;
}

int obs_bpf_watch(struct observer *o, pid_t pid)
{
	struct obs_bpf *b = o->bpf;
	struct vma_list vl = { 0 };
	__u32 tgid = (__u32)pid, gen;
	int err;

	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	/*
	 * A fresh generation: lookups cached for an earlier process with
	 * this pid must not match.
	 */
	gen = (__u32)(obs_now_ns() >> 10);
	if (bpf_map_update_elem(b->watched_fd, &tgid, &gen, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	/* A first snapshot records the mm for the collapse program. */
	if (b->have_iter) {
		err = obs_bpf_snapshot(o, pid, &vl);
		vma_list_free(&vl);
		if (err)
			obs_log(o, LOG_DEBUG, "snapshot of %d: %s", (int)pid,
				strerror(-err));
	}
	return 0;
}

int obs_bpf_unwatch(struct observer *o, pid_t pid)
{
	__u32 tgid = (__u32)pid;

	obs_bpf_forget_tgids(o->bpf, &tgid, 1);
	return 0;
}

static int grow_kv(struct obs_bpf *b, size_t n)
{
	struct obs_heat_key *k;
	__u64 *v;

	if (n <= b->kv_cap)
		return 0;
	k = realloc(b->keys, n * sizeof(*k));
	if (!k)
		return -ENOMEM;
	b->keys = k;
	v = realloc(b->vals, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	b->vals = v;
	b->kv_cap = n;
	return 0;
}

long obs_bpf_read_heat(struct obs_bpf *b)
{
	size_t max = bpf_map__max_entries(b->skel->maps.heat), nr = 0;
	struct obs_heat_key key, *prev = NULL;
	__u32 out_batch, *in = NULL;
	int err;

	err = grow_kv(b, max);
	if (err)
		return err;
	while (b->batch_ok) {
		__u32 count = (__u32)(max - nr);

		err = bpf_map_lookup_batch(b->heat_fd, in, &out_batch,
					   b->keys + nr, b->vals + nr, &count,
					   NULL);
		if (err && errno != ENOENT) {
			if (nr == 0 && (errno == EINVAL || errno == ENOTSUP ||
					errno == EOPNOTSUPP)) {
				b->batch_ok = false;
				break;
			}
			return -errno;
		}
		nr += count;
		if (err || nr >= max)
			return (long)nr;
		in = &out_batch;
	}
	while (nr < max &&
	       !bpf_map_get_next_key(b->heat_fd, prev, &b->keys[nr])) {
		key = b->keys[nr];
		prev = &key;
		if (!bpf_map_lookup_elem(b->heat_fd, &key, &b->vals[nr]))
			nr++;
	}
	return (long)nr;
}

static void heat_gone(void *ctx, const struct heat_entry *e)
{
	struct obs_bpf *b = ctx;
	struct obs_heat_key key = { .tgid = (__u32)e->pid,
				    .vm_start = e->start };

	bpf_map_delete_elem(b->heat_fd, &key);
}

int obs_bpf_poll(struct observer *o, uint64_t now_ns)
{
	struct obs_bpf *b = o->bpf;
	const struct heat_entry *e;
	__u32 slot = OBS_CNT_EVENTS_LOST;
	__u64 lost, prev;
	size_t i;
	long nr;
	int err;

	err = ring_buffer__consume(b->rb);
	if (err < 0)
		return err;

	nr = obs_bpf_read_heat(b);
	if (nr < 0)
		return (int)nr;
	for (i = 0; i < (size_t)nr; i++) {
		e = heat_find(&o->faults, (int32_t)b->keys[i].tgid,
			      b->keys[i].vm_start);
		prev = e ? e->count : 0;
		b->faults += b->vals[i] >= prev ? b->vals[i] - prev :
						  b->vals[i];
		err = heat_set_count(&o->faults, (int32_t)b->keys[i].tgid,
				     b->keys[i].vm_start, b->vals[i], now_ns);
		if (err)
			return err;
	}
	/* Cold for a long time (far below one fault): forget it. */
	heat_prune(&o->faults, now_ns, 1e-3, heat_gone, b);

	/* Exits: the processes are no longer watched. */
	err = obs_bpf_forget_exited(o);
	if (err)
		return err;
	if (!bpf_map_lookup_elem(b->counters_fd, &slot, &lost) &&
	    lost != b->seen_lost) {
		b->seen_lost = lost;
		err = obs_queue_event(o, OBSERVER_EV_LOST, 0, 0, 0, 0);
		if (err)
			return err;
	}
	return 0;
}

int obs_bpf_snapshot(struct observer *o, pid_t pid, struct vma_list *out)
{
	struct obs_bpf *b = o->bpf;
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct obs_vma_rec rec;
	struct bpf_link *link = NULL;
	struct vma_info *v;
	size_t got = 0, base = out->nr;
	ssize_t n;
	int fd = -1, err = 0;

	if (!b->have_iter)
		return maps_read(o->opts.proc_root, pid, out);
	memset(&linfo, 0, sizeof(linfo));
	linfo.task.pid = (__u32)pid;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(b->skel->progs.vma_iter, &opts);
	if (!link) {
		err = errno ? -errno : -EINVAL;
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		n = read(fd, (char *)&rec + got, sizeof(rec) - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got < sizeof(rec))
			continue;
		got = 0;
		/* Threads share the mm: the iterator may repeat VMAs. */
		if (out->nr > base && out->v[out->nr - 1].start >= rec.start)
			continue;
		v = array_reserve(out->v, &out->cap, out->nr + 1, sizeof(*v),
				  64);
		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		out->v = v;
		v = &out->v[out->nr++];
		memset(v, 0, sizeof(*v));
		v->start = rec.start;
		v->end = rec.end;
		/* include/linux/mm.h: VM_READ 1, VM_WRITE 2, VM_EXEC 4, VM_SHARED 8 */
		v->perms[0] = rec.flags & 1 ? 'r' : '-';
		v->perms[1] = rec.flags & 2 ? 'w' : '-';
		v->perms[2] = rec.flags & 4 ? 'x' : '-';
		v->perms[3] = rec.flags & 8 ? 's' : 'p';
		v->offset = rec.pgoff * (uint64_t)sysconf(_SC_PAGESIZE);
		v->inode = rec.ino;
		v->kind = rec.kind == 1 ? VMA_KIND_FILE :
			  rec.kind == 2 ? VMA_KIND_HEAP :
			  rec.kind == 3 ? VMA_KIND_STACK :
					  VMA_KIND_ANON;
	}
	if (out->nr == base && kill(pid, 0) && errno == ESRCH)
		err = -ESRCH;
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	return err;
}

void obs_bpf_counters(const struct observer *o, struct observer_counters *c)
{
	const struct obs_bpf *b = o->bpf;
	__u64 v[OBS_CNT_NR] = { 0 };
	__u32 i;

	for (i = 0; i < OBS_CNT_NR; i++)
		bpf_map_lookup_elem(b->counters_fd, &i, &v[i]);
	c->faults = b->faults;
	c->fault_no_vma = v[OBS_CNT_FAULT_NO_VMA];
	c->migrated = v[OBS_CNT_MIGRATED];
	c->compactions = v[OBS_CNT_COMPACTIONS];
	c->collapses = v[OBS_CNT_COLLAPSES];
	c->events_lost = v[OBS_CNT_EVENTS_LOST];
}
