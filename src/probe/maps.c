// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/PID/maps parser. A line is
 *   START-END PERMS OFFSET MAJOR:MINOR INODE [PATH]
 * with hexadecimal START, END, OFFSET, MAJOR and MINOR, decimal INODE, and
 * a PATH that runs to the end of the line (it may contain spaces).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "array.h"
#include "proc_file.h"

static const char *const kind_names[VMA_KIND_COUNT] = {
	[VMA_KIND_ANON] = "anon",	  [VMA_KIND_FILE] = "file",
	[VMA_KIND_HEAP] = "heap",	  [VMA_KIND_STACK] = "stack",
	[VMA_KIND_VDSO] = "vdso",	  [VMA_KIND_VVAR] = "vvar",
	[VMA_KIND_VSYSCALL] = "vsyscall", [VMA_KIND_SHM] = "shm",
	[VMA_KIND_OTHER] = "other",
};

const char *vma_kind_name(enum vma_kind kind)
{
	return (unsigned int)kind < VMA_KIND_COUNT ? kind_names[kind] : "?";
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

enum vma_kind vma_kind_of(const char *path)
{
	if (!path || !*path)
		return VMA_KIND_ANON;
	if (path[0] == '[') {
		if (!strcmp(path, "[heap]"))
			return VMA_KIND_HEAP;
		if (!strcmp(path, "[stack]") || has_prefix(path, "[stack:"))
			return VMA_KIND_STACK;
		if (!strcmp(path, "[vdso]"))
			return VMA_KIND_VDSO;
		if (has_prefix(path, "[vvar"))
			return VMA_KIND_VVAR;
		if (!strcmp(path, "[vsyscall]"))
			return VMA_KIND_VSYSCALL;
		if (has_prefix(path, "[anon:"))
			return VMA_KIND_ANON;
		if (has_prefix(path, "[anon_shmem:"))
			return VMA_KIND_SHM;
		return VMA_KIND_OTHER;
	}
	if (has_prefix(path, "/SYSV") || has_prefix(path, "/dev/shm/") ||
	    has_prefix(path, "/memfd:") || has_prefix(path, "/dev/zero"))
		return VMA_KIND_SHM;
	return VMA_KIND_FILE;
}

/* Parse a number ending exactly at a character in stop ("" = end of s). */
static int field_u64(const char **s, int base, const char *stop, uint64_t *val)
{
	char *e;
	int err = probe_parse_u64(*s, base, val, &e);

	if (err)
		return err;
	if (!*e || !strchr(stop, *e))
		return -EINVAL;
	*s = e + 1;
	return 0;
}

int maps_parse_line(const char *line, struct vma_info *out)
{
	static const char deleted[] = " (deleted)";
	const char *s = line, *path;
	uint64_t maj, min;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = field_u64(&s, 16, "-", &out->start)) ||
	    (err = field_u64(&s, 16, " ", &out->end)))
		return -EINVAL;
	if (out->start >= out->end)
		return -EINVAL;
	if (strlen(s) < 5 || s[4] != ' ' || !strchr("r-", s[0]) ||
	    !strchr("w-", s[1]) || !strchr("x-", s[2]) || !strchr("ps", s[3]))
		return -EINVAL;
	memcpy(out->perms, s, 4);
	out->perms[4] = '\0';
	s += 5;
	if (field_u64(&s, 16, " ", &out->offset) ||
	    field_u64(&s, 16, ":", &maj) || field_u64(&s, 16, " ", &min) ||
	    maj > UINT_MAX || min > UINT_MAX)
		return -EINVAL;
	out->dev_major = (unsigned int)maj;
	out->dev_minor = (unsigned int)min;
	/* The inode is the last field when there is no path. */
	if (field_u64(&s, 10, " \n", &out->inode)) {
		char *e;

		if (probe_parse_u64(s, 10, &out->inode, &e) || *e)
			return -EINVAL;
		s = e;
	} else if (s[-1] == '\n') {
		s--;
	}
	while (*s == ' ')
		s++;
	path = s;
	len = strcspn(path, "\n");
	if (path[len] == '\n' && path[len + 1])
		return -EINVAL; /* more than one line */
	if (len) {
		out->path = strndup(path, len);
		if (!out->path)
			return -ENOMEM;
		if (len > sizeof(deleted) - 1 &&
		    !strcmp(out->path + len - (sizeof(deleted) - 1), deleted))
			out->deleted = true;
	}
	out->kind = vma_kind_of(out->path);
	return 0;
}

static int list_push(struct vma_list *list, const struct vma_info *v)
{
	struct vma_info *p = array_reserve(list->v, &list->cap, list->nr + 1,
					   sizeof(*p), 64);

	if (!p)
		return -ENOMEM;
	list->v = p;
	list->v[list->nr++] = *v;
	return 0;
}

int maps_parse(const char *buf, struct vma_list *out)
{
	const char *line = buf;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct vma_info v;
		char *copy;
		int err;

		copy = strndup(line, len);
		if (!copy)
			return -ENOMEM;
		err = maps_parse_line(copy, &v);
		free(copy);
		if (err)
			return err;
		err = list_push(out, &v);
		if (err) {
			free(v.path);
			return err;
		}
		line += len + (nl ? 1 : 0);
	}
	return 0;
}

int maps_read(const char *proc_root, pid_t pid, struct vma_list *out)
{
	char path[PATH_MAX];
	char *buf;
	int err;

	err = probe_path(path, sizeof(path), proc_root, "%d/maps", (int)pid);
	if (err)
		return err;
	err = probe_read_file(path, &buf, NULL);
	if (err)
		return -probe_task_errno(-err);
	err = maps_parse(buf, out);
	free(buf);
	return err;
}

void vma_list_free(struct vma_list *list)
{
	size_t i;

	for (i = 0; i < list->nr; i++)
		free(list->v[i].path);
	free(list->v);
	memset(list, 0, sizeof(*list));
}
