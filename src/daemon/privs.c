// SPDX-License-Identifier: GPL-2.0-only
/*
 * Capability drop with libcap, and the memlock limit.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/securebits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "log.h"
#include "privs.h"

static int in_list(cap_value_t cap, const cap_value_t *keep, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (keep[i] == cap)
			return 1;
	return 0;
}

/* "cap_sys_admin", or the number when libcap has no name for it. */
static void cap_label(cap_value_t cap, char *buf, size_t n)
{
	char *name = cap_to_name(cap);

	if (name) {
		snprintf(buf, n, "%s", name);
		cap_free(name);
	} else {
		snprintf(buf, n, "capability %d", (int)cap);
	}
}

static int set_err(char *err, size_t errsz, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* err = "<what>: <strerror(-r)>"; returns r. */
static int set_err(char *err, size_t errsz, int r, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(err, errsz, "%s: %s", msg, strerror(-r));
	}
	return r;
}

static int drop_bounding(const cap_value_t *keep, int n, int max, char *err,
			 size_t errsz)
{
	char name[48];
	cap_value_t c;

	for (c = 0; c < max; c++) {
		if (in_list(c, keep, n) || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c) < 0) {
			int e = errno;

			cap_label(c, name, sizeof(name));
			return set_err(err, errsz, -e,
				       "dropping %s from the bounding set",
				       name);
		}
	}
	return 0;
}

int privs_drop(const cap_value_t *keep, int n, char *err, size_t errsz)
{
	int max = (int)cap_max_bits(), i, r = 0;
	cap_flag_value_t v = CAP_CLEAR;
	cap_t cur, next = NULL;
	char name[48];

	if (err && errsz)
		err[0] = '\0';
	if (n < 0 || (n > 0 && !keep))
		return set_err(err, errsz, -EINVAL, "capability list");
	for (i = 0; i < n; i++) {
		if (keep[i] < 0 || keep[i] >= max) {
			return set_err(err, errsz, -EINVAL,
				       "capability %d out of range",
				       (int)keep[i]);
		}
	}

	cur = cap_get_proc();
	if (!cur)
		return set_err(err, errsz, -errno, "cap_get_proc");
	for (i = 0; i < n; i++) {
		if (cap_get_flag(cur, keep[i], CAP_PERMITTED, &v) < 0 ||
		    v != CAP_SET) {
			cap_label(keep[i], name, sizeof(name));
			r = set_err(err, errsz, -EPERM, "keeping %s", name);
			goto out_free;
		}
	}

	/* The bounding set and securebits need CAP_SETPCAP: do them first. */
	if (cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &v) == 0 &&
	    v == CAP_SET) {
		r = drop_bounding(keep, n, max, err, errsz);
		if (r)
			goto out_free;
		if (cap_set_secbits(cap_get_secbits() | SECBIT_NOROOT |
				    SECBIT_NOROOT_LOCKED) < 0)
			log_debug("securebits not set: %s", strerror(errno));
	} else {
		log_debug("no CAP_SETPCAP: bounding set left to the caller");
	}

	if (cap_reset_ambient() < 0 && errno != EINVAL) {
		r = set_err(err, errsz, -errno, "clearing ambient set");
		goto out_free;
	}

	next = cap_init();
	if (!next) {
		r = set_err(err, errsz, -errno, "cap_init");
		goto out_free;
	}
	if (n > 0 &&
	    (cap_set_flag(next, CAP_EFFECTIVE, n, keep, CAP_SET) < 0 ||
	     cap_set_flag(next, CAP_PERMITTED, n, keep, CAP_SET) < 0)) {
		r = set_err(err, errsz, -errno, "cap_set_flag");
		goto out_free;
	}
	if (cap_set_proc(next) < 0) {
		r = set_err(err, errsz, -errno, "cap_set_proc");
		goto out_free;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = set_err(err, errsz, -errno, "PR_SET_NO_NEW_PRIVS");

out_free:
	if (next)
		cap_free(next);
	cap_free(cur);
	return r;
}

int privs_current(uint64_t *eff)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256], *end;
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "CapEff:", 7))
			continue;
		errno = 0;
		*eff = strtoull(line + 7, &end, 16);
		if (errno || end == line + 7 || (*end && *end != '\n'))
			r = -EINVAL;
		else
			r = 0;
		break;
	}
	fclose(f);
	return r;
}

void privs_memlock(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		log_debug("RLIMIT_MEMLOCK not raised: %s", strerror(errno));
}
