/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Why the kernel helper cannot be used, and what the administrator can
 * do about it, from what sysfs tells (contigctl status, the log).
 */
#ifndef CONTIG_BACKEND_KMOD_DIAG_H
#define CONTIG_BACKEND_KMOD_DIAG_H

#include <stddef.h>

/*
 * err is what opening /dev/contig gave (-ENOENT, -EACCES, ...). Writes
 * one sentence into why (at most 120 characters): the cause (module not
 * loaded; not loaded and the kernel only takes signed modules, lockdown
 * or Secure Boot; loaded without its device; permission) and the remedy.
 * sys_root prefixes /sys ("" for the real one; tests use a fake tree).
 */
void kmod_diagnose(const char *sys_root, int err, char *why, size_t n);

#endif
