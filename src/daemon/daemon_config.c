// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's configuration file: read at start, read again on SIGHUP
 * (a bad file changes nothing), and applied to the worker, the queue
 * and the log (daemon.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "sd_notify.h"

void daemon_exec_params(const struct contigd_config *c, const char *proc_root,
			struct exec_params *ep)
{
	*ep = (struct exec_params)EXEC_PARAMS_DEFAULT;
	ep->budget_pages = c->budget_pages;
	ep->batch = (unsigned int)c->batch;
	ep->max_retries = (unsigned int)c->max_retries;
	ep->backoff_ns = c->backoff_ms * 1000000u;
	ep->anchor.rule = config_anchor_rule(c->anchor);
	ep->proc_root = proc_root;
}

static void apply_params(struct daemon *d)
{
	struct exec_params ep;

	daemon_exec_params(&d->cfg, d->opts.proc_root, &ep);
	worker_set_params(&d->w, &ep, (unsigned int)d->cfg.cpu_share);
	queue_set_max(&d->q, d->cfg.max_queue);
	log_init(d->opts.verbose >= 0 ? d->opts.verbose : d->cfg.verbose);
}

const char *daemon_config_path(const struct daemon *d)
{
	return d->opts.config_path ? d->opts.config_path : CONFIG_FILE_DEFAULT;
}

int daemon_load_config(const struct daemon *d, struct contigd_config *c,
		       char *err, size_t errsz)
{
	int ret;

	*err = '\0';
	ret = config_parse_file(daemon_config_path(d), c, err, errsz);
	if (ret == -ENOENT && !d->opts.config_explicit)
		return 0; /* no file: the defaults */
	if (ret == -ENOENT)
		snprintf(err, errsz, "%s: no such file", daemon_config_path(d));
	else if (ret && !*err)
		snprintf(err, errsz, "%s: %s", daemon_config_path(d),
			 strerror(-ret));
	if (ret)
		log_warnx("%s", err);
	return ret;
}

static void warn_restart(const char *what, bool changed)
{
	if (changed)
		log_warnx("reload: %s changes only with a restart", what);
}

void daemon_reload(struct daemon *d)
{
	struct contigd_config next;
	char err[256], state[320];

	if (daemon_load_config(d, &next, err, sizeof(err))) {
		log_warnx("reload: keeping the configuration in use");
		config_free(&next);
		/* Back to READY=1 (the old settings), saying why. */
		snprintf(state, sizeof(state),
			 "READY=1\nSTATUS=reload failed, old settings kept: %s",
			 err);
		sd_notify_send(state);
		return;
	}
	warn_restart("backend", next.backend != d->cfg.backend);
	warn_restart("observer", next.observer != d->cfg.observer);
	warn_restart("runtime_dir",
		     strcmp(next.runtime_dir, d->cfg.runtime_dir) != 0);
	warn_restart("stats_file",
		     strcmp(next.stats_file, d->cfg.stats_file) != 0);
	warn_restart("max_clients", next.max_clients != d->cfg.max_clients);
	next.backend = d->cfg.backend;
	next.observer = d->cfg.observer;
	memcpy(next.runtime_dir, d->cfg.runtime_dir, sizeof(next.runtime_dir));
	memcpy(next.stats_file, d->cfg.stats_file, sizeof(next.stats_file));
	next.max_clients = d->cfg.max_clients;
	config_free(&d->cfg);
	d->cfg = next;
	apply_params(d);
	if (d->obs)
		observer_set_sample(d->obs, policy_sample_s(&d->cfg));
	log_info("reloaded %s", daemon_config_path(d));
	sd_notify_send("RELOADING=0\nREADY=1");
}
