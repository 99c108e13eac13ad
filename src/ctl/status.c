// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigctl status [--json]: what the running contigd is doing. JSON
 * keys: version (of the document), contigd_version, backend,
 * backend_reason, backend_abi, submission ("io_uring", "ioctl", or ""
 * for a backend without the kernel helper), depth, observer, heat_source,
 * tlb,
 * queue_length, watched, claims, uptime_s, passes, pages_moved,
 * pages_exchanged, blocks_collapsed, ops_failed, bytes_contiguous.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon_call.h"
#include "exit_codes.h"
#include "json.h"
#include "text.h"

#define STATUS_MS 10000

static void print_json(const struct contig_rep_status *s)
{
	struct json_writer w;

	json_init(&w, stdout);
	json_obj_begin(&w);
	json_kv_u64(&w, "version", CTL_JSON_VERSION);
	json_kv_str(&w, "contigd_version", s->version);
	json_kv_str(&w, "backend", s->backend);
	json_kv_str(&w, "backend_reason", s->backend_reason);
	json_kv_u64(&w, "backend_abi", s->backend_abi);
	json_kv_str(&w, "submission", s->submission);
	json_kv_u64(&w, "depth", s->depth);
	json_kv_str(&w, "observer", s->observer);
	json_kv_str(&w, "heat_source", s->heat_source);
	json_kv_str(&w, "tlb", s->tlb);
	json_kv_u64(&w, "queue_length", s->queue_length);
	json_kv_u64(&w, "watched", s->watched);
	json_kv_u64(&w, "claims", s->claims);
	json_kv_u64(&w, "uptime_s", s->uptime_s);
	json_kv_u64(&w, "passes", s->passes);
	json_kv_u64(&w, "pages_moved", s->pages_moved);
	json_kv_u64(&w, "pages_exchanged", s->pages_exchanged);
	json_kv_u64(&w, "blocks_collapsed", s->blocks_collapsed);
	json_kv_u64(&w, "ops_failed", s->ops_failed);
	json_kv_u64(&w, "bytes_contiguous", s->bytes_contiguous);
	json_obj_end(&w);
	fputc('\n', stdout);
}

/* 80 columns: the reason and the totals continue on indented lines. */
static void print_text(const struct contig_rep_status *s)
{
	uint64_t up = s->uptime_s;
	char abi[32] = "";

	printf("contigd %s, up %" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s\n",
	       s->version, up / 3600, up / 60 % 60, up % 60);
	if (s->backend_abi)
		snprintf(abi, sizeof(abi), " (ABI %u)",
			 (unsigned int)s->backend_abi);
	text_wrapf(stdout, "backend   ", 10, "%s%s: %s", s->backend, abi,
		   s->backend_reason);
	if (s->submission[0])
		printf("submit    %s, %u batch%s in flight at most\n",
		       s->submission, (unsigned int)s->depth,
		       s->depth == 1 ? "" : "es");
	printf("observer  %s, %u processes watched\n", s->observer,
	       (unsigned int)s->watched);
	printf("heat      %s; tlb: %s\n", s->heat_source, s->tlb);
	printf("queue     %u waiting; %u physical windows claimed\n",
	       (unsigned int)s->queue_length, (unsigned int)s->claims);
	text_wrapf(stdout, "work      ", 10,
		   "%" PRIu64 " passes; pages moved %" PRIu64
		   ", exchanged %" PRIu64 "; 2 MiB blocks collapsed %" PRIu64
		   "; ops failed %" PRIu64 "; %" PRIu64 " MiB made contiguous",
		   (uint64_t)s->passes, (uint64_t)s->pages_moved,
		   (uint64_t)s->pages_exchanged, (uint64_t)s->blocks_collapsed,
		   (uint64_t)s->ops_failed,
		   (uint64_t)s->bytes_contiguous >> 20);
}

int ctl_status(const struct ctl_opts *o, int argc, char **argv)
{
	struct contig_msg_hdr rq;
	struct contig_rep_status rep;
	int ret;

	(void)argc;
	(void)argv;
	memset(&rq, 0, sizeof(rq));
	rq.type = CONTIG_MSG_STATUS;
	ret = ctl_daemon_call(o, "status", &rq, sizeof(rq), &rep, sizeof(rep),
			      STATUS_MS, NULL, NULL);
	if (ret)
		return ret;
	if (o->json)
		print_json(&rep);
	else
		print_text(&rep);
	return fflush(stdout) || ferror(stdout) ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
