// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigctl show output: one line of JSON (the command-line contract in
 * DESIGN.md) or a table for people, 80 columns wide (--wide: every
 * column, whole paths and run maps on one line).
 *
 * JSON: {"version":1,"pid":N,"vmas":[{"start":"0x…","end":"0x…","kind":"…","pages":N,
 * "present":N,"runs":N,"largest_run":N,"runs_99":N,"aligned_2m":N,
 * "perms":"rw-p","path":"…"|null,"swapped":N,"pmd_mapped_bytes":N,
 * "runmap":"+512 -3 _40"}]}
 * The contract fields come first (after the document's version), in
 * that order; the rest are extras.
 * When a daemon answered, "daemon":true comes last and each VMA it knows
 * gets "heat" (accesses a second, decayed), "heat_source" ("young",
 * "proc", "tlb", "fault" or "none": what the heat counts), "state" (a list
 * of "queued", "running", "claimed", "never", "hinted", "done"),
 * "anchor_pfn" (or null), "failures", "last_runs" and "last_pass" (Unix
 * time of the last pass, 0: never).
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "show.h"
#include "text.h"

static const char *const state_names[] = {
	"queued", "running", "claimed", "never", "hinted", "done",
};

static const char *heat_source(const struct contig_show_vma *d)
{
	static const char *const names[] = {
		[CONTIG_HEAT_NONE] = "none",   [CONTIG_HEAT_FAULT] = "fault",
		[CONTIG_HEAT_YOUNG] = "young", [CONTIG_HEAT_PROC] = "proc",
		[CONTIG_HEAT_TLB] = "tlb",
	};
	uint32_t src = (d->state & CONTIG_VMA_SRC_MASK) >> CONTIG_VMA_SRC_SHIFT;

	return src < sizeof(names) / sizeof(names[0]) ? names[src] : "none";
}

static void print_daemon_json(struct json_writer *w,
			      const struct contig_show_vma *d)
{
	size_t i;

	json_key(w, "heat");
	json_milli(w, d->heat);
	json_kv_str(w, "heat_source", heat_source(d));
	json_key(w, "state");
	json_arr_begin(w);
	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (d->state & (1u << i))
			json_str(w, state_names[i]);
	json_arr_end(w);
	json_key(w, "anchor_pfn");
	if (d->anchor_pfn == CONTIG_PFN_UNKNOWN)
		json_null(w);
	else
		json_u64(w, d->anchor_pfn);
	json_kv_u64(w, "failures", d->failures);
	json_kv_u64(w, "last_runs", d->last_runs);
	json_kv_u64(w, "last_pass", d->last_pass_unix);
}

void show_print_json(FILE *f, const struct show_result *r)
{
	struct json_writer w;
	size_t i;

	json_init(&w, f);
	json_obj_begin(&w);
	json_kv_u64(&w, "version", CTL_JSON_VERSION);
	json_kv_u64(&w, "pid", (uint64_t)r->pid);
	json_key(&w, "vmas");
	json_arr_begin(&w);
	for (i = 0; i < r->maps.nr; i++) {
		const struct show_vma *sv = &r->v[i];
		const struct vma_info *v = sv->vma;

		json_obj_begin(&w);
		json_kv_hex(&w, "start", v->start);
		json_kv_hex(&w, "end", v->end);
		json_kv_str(&w, "kind", vma_kind_name(v->kind));
		json_kv_u64(&w, "pages", sv->m.pages);
		json_kv_u64(&w, "present", sv->m.present);
		json_kv_u64(&w, "runs", sv->m.runs);
		json_kv_u64(&w, "largest_run", sv->m.largest_run);
		json_kv_u64(&w, "runs_99", sv->m.runs_99);
		json_kv_u64(&w, "aligned_2m", sv->m.aligned_2m);
		json_kv_str(&w, "perms", v->perms);
		json_kv_str(&w, "path", v->path);
		json_kv_u64(&w, "swapped", sv->swapped);
		json_kv_u64(&w, "pmd_mapped_bytes", sv->pmd_bytes);
		json_kv_str(&w, "runmap", sv->runmap);
		if (show_daemon_vma(r, v->start))
			print_daemon_json(&w, show_daemon_vma(r, v->start));
		json_obj_end(&w);
	}
	json_arr_end(&w);
	if (r->daemon) {
		json_key(&w, "daemon");
		json_bool(&w, true);
	}
	json_obj_end(&w);
	fputc('\n', f);
}

/* Pages as a short size: 4K, 64M, 1.5G. */
static void human_size(char *buf, size_t size, uint64_t pages)
{
	static const char units[] = "KMGTP";
	double v = (double)pages * 4;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) - 1) {
		v /= 1024;
		u++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, size, "%" PRIu64 "%c", (uint64_t)v, units[u]);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
}

static void print_daemon_text(FILE *f, const struct contig_show_vma *d,
			      bool wide)
{
	char buf[256];
	size_t i;
	int n;

	if (!d)
		return;
	n = snprintf(buf, sizeof(buf), "heat %" PRIu64 ".%03u/s (%s), state",
		     (uint64_t)d->heat / 1000, (unsigned int)(d->heat % 1000),
		     heat_source(d));
	if (!(d->state & ~CONTIG_VMA_SRC_MASK))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " idle");
	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (d->state & (1u << i))
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, " %s",
				      state_names[i]);
	if (d->anchor_pfn != CONTIG_PFN_UNKNOWN)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n,
			      ", anchor pfn 0x%" PRIx64,
			      (uint64_t)d->anchor_pfn);
	if (d->failures)
		snprintf(buf + n, sizeof(buf) - (size_t)n, ", %u ops failed",
			 d->failures);
	if (wide)
		fprintf(f, "    contigd: %s\n", buf);
	else
		text_wrap(f, "    contigd: ", buf, 13);
}

/* The full table (--wide): every column, the whole path. */
static void print_row_wide(FILE *f, const struct show_vma *sv,
			   const char *size)
{
	const struct vma_info *v = sv->vma;

	fprintf(f,
		"%012" PRIx64 " %012" PRIx64 " %6s %-8s %-4s %8" PRIu64
		" %8" PRIu64 " %7" PRIu64 " %8" PRIu64 " %7" PRIu64
		" %4" PRIu64 "  %s\n",
		v->start, v->end, size, vma_kind_name(v->kind), v->perms,
		sv->m.pages, sv->m.present, sv->m.runs, sv->m.largest_run,
		sv->m.runs_99, sv->m.aligned_2m, v->path ? v->path : "");
}

/*
 * 80 columns: no END (START + SIZE) and no PAGES (SIZE); a path that
 * does not fit keeps its end, after "...".
 */
static void print_row(FILE *f, const struct show_vma *sv, const char *size)
{
	const struct vma_info *v = sv->vma;
	const char *path = v->path ? v->path : "";
	char row[160];
	int n, room;

	n = snprintf(row, sizeof(row),
		     "%012" PRIx64 " %5s %-8s %-4s %7" PRIu64 " %6" PRIu64
		     " %7" PRIu64 " %6" PRIu64 " %4" PRIu64 " ",
		     v->start, size, vma_kind_name(v->kind), v->perms,
		     sv->m.present, sv->m.runs, sv->m.largest_run,
		     sv->m.runs_99, sv->m.aligned_2m);
	room = TEXT_WIDTH - n;
	if ((int)strlen(path) <= room)
		fprintf(f, "%s%s\n", row, path);
	else if (room > 3)
		fprintf(f, "%s...%s\n", row, path + strlen(path) - (room - 3));
	else
		fprintf(f, "%s\n", row);
}

void show_print_text(FILE *f, const struct show_result *r, bool wide)
{
	uint64_t pages = 0, present = 0, runs = 0;
	char head[256];
	size_t i;

	for (i = 0; i < r->maps.nr; i++) {
		pages += r->v[i].m.pages;
		present += r->v[i].m.present;
		runs += r->v[i].m.runs;
	}
	snprintf(head, sizeof(head),
		 "pid %d (%s): %zu VMAs, %" PRIu64 " of %" PRIu64
		 " pages present in %" PRIu64 " runs",
		 r->pid, r->comm, r->maps.nr, present, pages, runs);
	if (wide)
		fprintf(f, "%s\n", head);
	else
		text_wrap(f, "", head, 4);
	if (wide)
		fprintf(f,
			"%-12s %-12s %6s %-8s %-4s %8s %8s %7s %8s %7s %4s  %s\n",
			"START", "END", "SIZE", "KIND", "PERM", "PAGES",
			"PRESENT", "RUNS", "LARGEST", "RUNS99", "2M", "PATH");
	else
		fprintf(f, "%-12s %5s %-8s %-4s %7s %6s %7s %6s %4s %s\n",
			"START", "SIZE", "KIND", "PERM", "PRESENT", "RUNS",
			"LARGEST", "RUNS99", "2M", "PATH");
	for (i = 0; i < r->maps.nr; i++) {
		const struct show_vma *sv = &r->v[i];
		char size[16];

		human_size(size, sizeof(size), sv->m.pages);
		if (wide)
			print_row_wide(f, sv, size);
		else
			print_row(f, sv, size);
		if (sv->m.present && sv->runmap && *sv->runmap) {
			if (wide)
				fprintf(f, "    runs: %s\n", sv->runmap);
			else
				text_wrap(f, "    runs: ", sv->runmap, 10);
		}
		if (sv->pmd_bytes) {
			human_size(size, sizeof(size), sv->pmd_bytes / 4096);
			fprintf(f, "    huge: %s PMD-mapped (%" PRIu64 " %%)\n",
				size,
				sv->m.pages ? sv->pmd_bytes / 4096 * 100 /
						      sv->m.pages :
					      0);
		}
		print_daemon_text(f, show_daemon_vma(r, sv->vma->start), wide);
	}
}
