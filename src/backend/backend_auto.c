// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backend names and selection. auto: the kernel helper when /dev/contig
 * answers INFO with an ABI we know, else collapse; the reason is kept
 * for the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend.h"
#include "contig_ioctl.h"
#include "kmod_diag.h"

static const char *const kind_names[BACKEND_KIND_COUNT] = {
	[BACKEND_SIM] = "sim",
	[BACKEND_COLLAPSE] = "collapse",
	[BACKEND_KMOD] = "kmod",
};

const char *backend_kind_name(enum backend_kind kind)
{
	return (unsigned int)kind < BACKEND_KIND_COUNT ? kind_names[kind] :
							 "unknown";
}

int backend_kind_parse(const char *name, enum backend_kind *out)
{
	unsigned int i;

	for (i = 0; i < BACKEND_KIND_COUNT; i++) {
		if (!strcmp(name, kind_names[i])) {
			*out = (enum backend_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

void backend_destroy(struct backend *b)
{
	if (b)
		b->ops->destroy(b);
}

/*
 * Ask /dev/contig for its ABI and capabilities. 0 and *abi, *caps, or
 * -errno (-ENOENT: no device, -ENOTTY: something else answers there).
 */
static int kmod_probe(unsigned int *abi, uint64_t *caps)
{
	struct contig_info info;
	int fd, err = 0;

	fd = open(CONTIG_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, CONTIG_IOC_INFO, &info) < 0)
		err = -errno;
	else {
		*abi = info.abi_version;
		*caps = info.caps;
	}
	close(fd);
	return err;
}

int backend_select(const enum backend_kind *want, const char *proc_root,
		   struct backend **out, char *why, size_t why_size)
{
	unsigned int abi = 0;
	uint64_t caps = 0;
	int err;

	if (why_size)
		why[0] = '\0';
	if (want && *want == BACKEND_SIM)
		return -EOPNOTSUPP;
	if (want && *want == BACKEND_COLLAPSE) {
		err = backend_collapse_create(proc_root, out);
		if (!err)
			snprintf((*out)->reason, sizeof((*out)->reason),
				 "asked for on the command line");
		return err;
	}

	err = kmod_probe(&abi, &caps);
	if (err == -ENOENT || err == -EACCES || err == -EPERM) {
		kmod_diagnose("", err, why, why_size);
	} else if (err) {
		snprintf(why, why_size, "%s: INFO failed: %s",
			 CONTIG_DEVICE_PATH, strerror(-err));
	} else if (abi != CONTIG_ABI_VERSION) {
		snprintf(why, why_size,
			 "contig.ko has ABI %u, contigd wants %u: install matching contigd and contig-dkms",
			 abi, CONTIG_ABI_VERSION);
	} else {
		err = backend_kmod_create(proc_root, out);
		if (!err) {
			snprintf(why, why_size, "%s answers ABI %u%s",
				 CONTIG_DEVICE_PATH, abi,
				 caps & CONTIG_CAP_EXCHANGE_INPLACE ?
					 "" :
					 "; kernel symbols missing: no in-place exchange, migration only");
			snprintf((*out)->reason, sizeof((*out)->reason),
				 "%s: %s", want ? "asked for" : "auto", why);
			return 0;
		}
		snprintf(why, why_size, "%s: %s", CONTIG_DEVICE_PATH,
			 strerror(-err));
	}
	if (want && *want == BACKEND_KMOD)
		return -ENODEV;

	err = backend_collapse_create(proc_root, out);
	if (!err)
		snprintf((*out)->reason, sizeof((*out)->reason),
			 "auto: %s; using collapse (2 MiB blocks only)", why);
	return err;
}
