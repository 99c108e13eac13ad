// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigctl show: what the daemon knows of the process (heat, state,
 * anchor per VMA), when a daemon answers. Without one, show prints the
 * /proc figures alone: nothing here is an error.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "contig_proto.h"
#include "proto.h"
#include "show.h"

#define SHOW_TIMEOUT_MS 5000

int show_daemon_fetch(const struct ctl_opts *o, struct show_result *r)
{
	struct contig_req_show rq;
	struct contig_rep_show *rep;
	int fd, len;

	if (contig_client_connect(o->runtime_dir, &fd))
		return -1;
	rep = malloc(CONTIG_PROTO_MAX_REPLY);
	if (!rep) {
		close(fd);
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	proto_hdr_init(&rq.h, CONTIG_MSG_SHOW, sizeof(rq), 1);
	rq.pid = r->pid;
	len = contig_client_call(fd, &rq, sizeof(rq), rep,
				 CONTIG_PROTO_MAX_REPLY, SHOW_TIMEOUT_MS, NULL,
				 NULL);
	close(fd);
	if (len < 0 || rep->r.error ||
	    rep->r.h.type != (CONTIG_MSG_SHOW | CONTIG_MSG_REPLY)) {
		free(rep);
		return -1;
	}
	r->daemon = rep;
	return 0;
}

const struct contig_show_vma *show_daemon_vma(const struct show_result *r,
					      uint64_t start)
{
	uint32_t i;

	for (i = 0; r->daemon && i < r->daemon->nr; i++)
		if (r->daemon->vma[i].start == start)
			return &r->daemon->vma[i];
	return NULL;
}
