// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel helper's absence explained (kmod_diag.h). Nothing here
 * needs privileges: the files read are world-readable.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kmod_diag.h"

#define EFI_SECURE_BOOT \
	"/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* The first bytes of sys_root + path, NUL-terminated; -errno. */
static int read_small(const char *sys_root, const char *path, char *buf,
		      size_t n)
{
	char full[PATH_MAX];
	size_t got;
	FILE *f;

	if (snprintf(full, sizeof(full), "%s%s", sys_root, path) >=
	    (int)sizeof(full))
		return -ENAMETOOLONG;
	f = fopen(full, "rb");
	if (!f)
		return -errno;
	got = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[got] = '\0';
	return (int)got;
}

static bool exists(const char *sys_root, const char *path)
{
	char full[PATH_MAX];
	struct stat st;

	if (snprintf(full, sizeof(full), "%s%s", sys_root, path) >=
	    (int)sizeof(full))
		return false;
	return stat(full, &st) == 0;
}

/* Does the kernel refuse unsigned modules? */
static bool signed_only(const char *sys_root)
{
	char buf[128];
	int r;

	/* "none [integrity] confidentiality": anything but none locks. */
	if (read_small(sys_root, "/sys/kernel/security/lockdown", buf,
		       sizeof(buf)) > 0 &&
	    strstr(buf, "[") && !strstr(buf, "[none]"))
		return true;
	if (read_small(sys_root, "/sys/module/module/parameters/sig_enforce",
		       buf, sizeof(buf)) > 0 &&
	    buf[0] == 'Y')
		return true;
	/* efivars: 4 bytes of attributes, then the value. */
	r = read_small(sys_root, EFI_SECURE_BOOT, buf, sizeof(buf));
	return r >= 5 && buf[4] == 1;
}

void kmod_diagnose(const char *sys_root, int err, char *why, size_t n)
{
	if (!n)
		return;
	if (err == -EACCES || err == -EPERM) {
		snprintf(why, n,
			 "/dev/contig: permission denied: contigd needs root and DeviceAllow=/dev/contig");
	} else if (err != -ENOENT) {
		snprintf(why, n, "/dev/contig: %s", strerror(-err));
	} else if (exists(sys_root, "/sys/module/contig")) {
		snprintf(why, n,
			 "contig.ko is loaded but /dev/contig is missing: check udev (ls /sys/class/misc/contig)");
	} else if (signed_only(sys_root)) {
		snprintf(why, n,
			 "contig.ko not loaded; Secure Boot/lockdown takes signed modules only: enroll the DKMS MOK, see contig(4)");
	} else {
		snprintf(why, n,
			 "contig.ko not loaded: modprobe contig (contig-dkms loads it at boot)");
	}
}
