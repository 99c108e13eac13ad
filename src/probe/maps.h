/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/PID/maps parser.
 *
 * Kinds, decided from the path column (and the inode):
 *   anon      no path, or "[anon:NAME]" (prctl PR_SET_VMA_ANON_NAME)
 *   file      a path starting with '/' (regular file mapping)
 *   heap      "[heap]" (brk area)
 *   stack     "[stack]" or "[stack:TID]" (older kernels)
 *   vdso      "[vdso]"
 *   vvar      "[vvar]" or "[vvar_vclock]"
 *   vsyscall  "[vsyscall]" (x86-64 legacy page above the user range)
 *   shm       shared memory: "/SYSV…" (System V), "/dev/shm/…" (POSIX),
 *             "/memfd:…" (memfd_create), "/dev/zero" (shared anonymous),
 *             "[anon_shmem:NAME]"
 *   other     any other bracketed name ("[uprobes]", "[vectors]", ...)
 * A path ending in " (deleted)" keeps its kind and sets deleted.
 */
#ifndef CONTIG_PROBE_MAPS_H
#define CONTIG_PROBE_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum vma_kind {
	VMA_KIND_ANON,
	VMA_KIND_FILE,
	VMA_KIND_HEAP,
	VMA_KIND_STACK,
	VMA_KIND_VDSO,
	VMA_KIND_VVAR,
	VMA_KIND_VSYSCALL,
	VMA_KIND_SHM,
	VMA_KIND_OTHER,
	VMA_KIND_COUNT,
};

struct vma_info {
	uint64_t start;    /* first byte */
	uint64_t end;      /* one past the last byte */
	char perms[5];     /* "rw-p" */
	uint64_t offset;   /* file offset */
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	char *path;        /* as the kernel printed it, or NULL */
	bool deleted;      /* path ends in " (deleted)" */
	enum vma_kind kind;
};

struct vma_list {
	struct vma_info *v;
	size_t nr;
	size_t cap;
};

/* "anon", "file", ...: the names used in contigctl's JSON. */
const char *vma_kind_name(enum vma_kind kind);

/* The kind of a mapping with this path (NULL for none). */
enum vma_kind vma_kind_of(const char *path);

/*
 * Parse one line (without or with its trailing '\n'). 0, -EINVAL for a
 * malformed line, -ENOMEM. On success out->path is malloc'd (or NULL).
 */
int maps_parse_line(const char *line, struct vma_info *out);

/* Parse a whole maps file held in buf (NUL-terminated). Appends to out. */
int maps_parse(const char *buf, struct vma_list *out);

/*
 * Read and parse <proc_root>/PID/maps. 0, -ESRCH (no such process),
 * -EACCES/-EPERM, -EINVAL (malformed), -ENOMEM. A kernel thread or a
 * zombie yields an empty list.
 */
int maps_read(const char *proc_root, pid_t pid, struct vma_list *out);

void vma_list_free(struct vma_list *list);

#endif
