// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigctl show: read maps and pagemap, compute the contiguity metrics of
 * every VMA, print them. Works without the daemon.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_codes.h"
#include "pagemap.h"
#include "proc_file.h"
#include "proc_task.h"
#include "show.h"
#include "smaps_thp.h"

/* Which file was being read, for error messages. */
struct show_ctx {
	const struct ctl_opts *o;
	int pid;
	const char *root;
};

/*
 * The run map of a VMA read with pagemap_read_vma(): format the compacted
 * array, then give back to each "_N" token the empty blocks that were
 * dropped inside it (each absent stretch holds at most one gap).
 */
static char *runmap_of(const struct pagemap_vma *pv, unsigned int tokens)
{
	const uint64_t *pfn = pv->pages.pfn;
	uint64_t nr = pv->pages.nr, i = 0;
	size_t len, g = 0, cap, out_len = 0;
	char *map, *out, *tok, *save;

	len = contig_runmap_format(pfn, nr, tokens, NULL, 0);
	map = malloc(len + 1);
	if (!map)
		return NULL;
	contig_runmap_format(pfn, nr, tokens, map, len + 1);
	if (!pv->nr_gaps)
		return map;

	cap = len + 1 + pv->nr_gaps * 24;
	out = malloc(cap);
	if (!out) {
		free(map);
		return NULL;
	}
	out[0] = '\0';
	for (tok = strtok_r(map, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		uint64_t n;

		if (tok[0] == '_' && !probe_parse_u64(tok + 1, 10, &n, NULL)) {
			uint64_t a, b;

			/* the next absent stretch [a, b) of the compacted array */
			while (i < nr && pfn[i] != CONTIG_PFN_NONE)
				i++;
			a = i;
			while (i < nr && pfn[i] == CONTIG_PFN_NONE)
				i++;
			b = i;
			while (g < pv->nr_gaps && pv->gaps[g].at <= b) {
				if (pv->gaps[g].at > a)
					n += pv->gaps[g].dropped;
				g++;
			}
			out_len += snprintf(out + out_len, cap - out_len,
					    "%s_%" PRIu64, out_len ? " " : "",
					    n);
		} else {
			out_len += snprintf(out + out_len, cap - out_len,
					    "%s%s", out_len ? " " : "", tok);
		}
	}
	free(map);
	return out;
}

static int show_error(const struct show_ctx *c, int err, const char *file)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%d/%s", c->root, c->pid, file);
	switch (err) {
	case -ESRCH:
		ctl_err("show %d: process exited while reading %s", c->pid,
			path);
		return CTL_EXIT_NOPROC;
	case -EPERM:
		if (!strcmp(file, "pagemap")) {
			ctl_err("show %d: reading %s: physical frame numbers are hidden: need CAP_SYS_ADMIN",
				c->pid, path);
			return CTL_EXIT_PERM;
		}
		/* fallthrough */
	case -EACCES:
		ctl_err("show %d: reading %s: permission denied (need ptrace access to the process)",
			c->pid, path);
		return CTL_EXIT_PERM;
	case -EINVAL:
		ctl_err("show %d: reading %s: unexpected format", c->pid, path);
		return CTL_EXIT_FAIL;
	default:
		ctl_err("show %d: reading %s: %s", c->pid, path,
			strerror(-err));
		return CTL_EXIT_FAIL;
	}
}

/* After maps came back empty, or a read hit ESRCH: why? */
static int no_user_memory(const struct show_ctx *c)
{
	struct proc_task t;
	int err = proc_task_read(c->o->proc_root, c->pid, &t);

	if (err == -ESRCH || (!err && t.zombie)) {
		ctl_err("show %d: process exited", c->pid);
		return CTL_EXIT_NOPROC;
	}
	if (!err && t.kthread) {
		ctl_err("show %d: pid %d is a kernel thread: it has no user memory",
			c->pid, c->pid);
		return CTL_EXIT_NOMEM_USER;
	}
	ctl_err("show %d: pid %d has no user memory mappings", c->pid, c->pid);
	return CTL_EXIT_NOMEM_USER;
}

static int show_vma(int fd, struct show_vma *sv, unsigned int tokens)
{
	const struct vma_info *v = sv->vma;
	uint64_t start_vpn = v->start >> CONTIG_PAGE_SHIFT;
	uint64_t nr = (v->end - v->start) >> CONTIG_PAGE_SHIFT;
	struct pagemap_vma pv;
	int err;

	/*
	 * [vsyscall] lies above the task's address range: pagemap returns
	 * end-of-file there, and it has no frames of its own to report. No
	 * windows: every page is taken as not present, nothing is read.
	 */
	if (v->kind == VMA_KIND_VSYSCALL)
		err = pagemap_read_vma_windows(fd, start_vpn, nr, NULL, 0, &pv);
	else
		err = pagemap_read_vma(fd, start_vpn, nr, &pv);
	if (err)
		return err;
	err = contig_metrics_compute(pv.pages.pfn, pv.pages.start_vpn,
				     pv.pages.nr, &sv->m);
	if (!err) {
		sv->m.pages = (v->end - v->start) >> CONTIG_PAGE_SHIFT;
		sv->swapped = pv.counts.swapped;
		sv->runmap = runmap_of(&pv, tokens);
		if (!sv->runmap)
			err = -ENOMEM;
	}
	pagemap_vma_free(&pv);
	return err;
}

/*
 * Each VMA's PMD-mapped bytes.  smaps is an extra: where it cannot be
 * read (a process gone meanwhile), the figures stay 0.
 */
static void show_pmd_bytes(const struct ctl_opts *o, struct show_result *r)
{
	uint64_t *bytes = calloc(r->maps.nr, sizeof(*bytes));
	size_t i;

	if (!bytes)
		return;
	if (!smaps_anon_huge(o->proc_root, r->pid, &r->maps, bytes))
		for (i = 0; i < r->maps.nr; i++)
			r->v[i].pmd_bytes = bytes[i];
	free(bytes);
}

static void show_result_free(struct show_result *r)
{
	size_t i;

	if (r->v)
		for (i = 0; i < r->maps.nr; i++)
			free(r->v[i].runmap);
	free(r->v);
	free(r->daemon);
	vma_list_free(&r->maps);
}

int ctl_show(const struct ctl_opts *o, int argc, char **argv)
{
	struct show_ctx c = { .o = o, .root = probe_proc_root(o->proc_root) };
	struct show_result r = { 0 };
	unsigned int tokens = o->json ? SHOW_RUNMAP_TOKENS_JSON :
					SHOW_RUNMAP_TOKENS_TEXT;
	struct proc_task t;
	int err, ret = CTL_EXIT_OK, fd;
	size_t i;

	if (argc != 1 || ctl_parse_pid(argv[0], &c.pid)) {
		ctl_err("show: '%s' is not a process id", argc ? argv[0] : "");
		return CTL_EXIT_USAGE;
	}
	r.pid = c.pid;
	err = proc_task_read(o->proc_root, c.pid, &t);
	if (err == -ESRCH) {
		ctl_err("show %d: no such process", c.pid);
		return CTL_EXIT_NOPROC;
	}
	if (err)
		return show_error(&c, err, "stat");
	if (t.kthread || t.zombie)
		return no_user_memory(&c);
	snprintf(r.comm, sizeof(r.comm), "%s", t.comm);

	err = maps_read(o->proc_root, c.pid, &r.maps);
	if (err == -ESRCH)
		return no_user_memory(&c);
	if (err) {
		ret = show_error(&c, err, "maps");
		goto out;
	}
	if (!r.maps.nr) {
		ret = no_user_memory(&c);
		goto out;
	}
	r.v = calloc(r.maps.nr, sizeof(*r.v));
	if (!r.v) {
		ctl_err("show %d: out of memory", c.pid);
		ret = CTL_EXIT_FAIL;
		goto out;
	}
	fd = pagemap_open(o->proc_root, c.pid);
	if (fd < 0) {
		ret = show_error(&c, fd, "pagemap");
		goto out;
	}
	for (i = 0; i < r.maps.nr; i++) {
		r.v[i].vma = &r.maps.v[i];
		err = show_vma(fd, &r.v[i], tokens);
		if (err)
			break;
	}
	close(fd);
	if (err) {
		ret = show_error(&c, err, "pagemap");
		goto out;
	}
	show_pmd_bytes(o, &r);
	show_daemon_fetch(o, &r);
	if (o->json)
		show_print_json(stdout, &r);
	else
		show_print_text(stdout, &r, o->wide);
	if (fflush(stdout) || ferror(stdout)) {
		ctl_err("show %d: writing the output: %s", c.pid,
			strerror(errno));
		ret = CTL_EXIT_FAIL;
	}
out:
	show_result_free(&r);
	return ret;
}
