// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/PID/maps parser (src/probe/maps.c).
 *
 * The input is a maps file. Whatever it holds, maps_parse() must not
 * crash or leak; every entry it accepts must be sane (start < end,
 * perms from "rwxp-s", kind and deleted agreeing with the path), and
 * printing an entry the way the kernel does and parsing that line again
 * must give the same entry back.
 */
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "maps.h"

static void check_entry(const struct vma_info *v)
{
	static const char deleted[] = " (deleted)";
	size_t len = v->path ? strlen(v->path) : 0;

	FUZZ_CHECK(v->start < v->end);
	FUZZ_CHECK(strlen(v->perms) == 4);
	FUZZ_CHECK(strchr("r-", v->perms[0]) && strchr("w-", v->perms[1]) &&
		   strchr("x-", v->perms[2]) && strchr("ps", v->perms[3]));
	FUZZ_CHECK(!v->path ||
		   (len && !strchr(v->path, '\n') && v->path[0] != ' '));
	FUZZ_CHECK(v->kind == vma_kind_of(v->path));
	FUZZ_CHECK((unsigned int)v->kind < VMA_KIND_COUNT);
	FUZZ_CHECK(strcmp(vma_kind_name(v->kind), "?"));
	FUZZ_CHECK(v->deleted ==
		   (len > sizeof(deleted) - 1 &&
		    !strcmp(v->path + len - (sizeof(deleted) - 1), deleted)));
}

/* Print v as the kernel does (show_map_vma) and parse it again. */
static void check_round_trip(const struct vma_info *v)
{
	struct vma_info w;
	char *line = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&line, &size);
	int err;

	FUZZ_CHECK(f);
	fprintf(f,
		"%08" PRIx64 "-%08" PRIx64 " %s %08" PRIx64
		" %02x:%02x %" PRIu64,
		v->start, v->end, v->perms, v->offset, v->dev_major,
		v->dev_minor, v->inode);
	if (v->path)
		fprintf(f, "%*s%s", 10, "", v->path);
	fputc('\n', f);
	FUZZ_CHECK(!fclose(f));

	err = maps_parse_line(line, &w);
	if (err == -ENOMEM) {
		free(line);
		return;
	}
	if (err)
		fprintf(stderr, "round trip refused: %s", line);
	FUZZ_CHECK(!err);
	FUZZ_CHECK(w.start == v->start && w.end == v->end);
	FUZZ_CHECK(!strcmp(w.perms, v->perms));
	FUZZ_CHECK(w.offset == v->offset && w.inode == v->inode);
	FUZZ_CHECK(w.dev_major == v->dev_major && w.dev_minor == v->dev_minor);
	FUZZ_CHECK(!w.path == !v->path);
	FUZZ_CHECK(!v->path || !strcmp(w.path, v->path));
	FUZZ_CHECK(w.kind == v->kind && w.deleted == v->deleted);
	free(w.path);
	free(line);
}

static char proc_root[256];

static void remove_proc_root(void)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/1/maps", proc_root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/1", proc_root);
	rmdir(path);
	rmdir(proc_root);
}

static void make_proc_root(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[300];

	snprintf(proc_root, sizeof(proc_root), "%s/contig-fuzz-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	if (!mkdtemp(proc_root))
		abort();
	snprintf(path, sizeof(path), "%s/1", proc_root);
	if (mkdir(path, 0700))
		abort();
	atexit(remove_proc_root);
}

/*
 * The same text through maps_read() from <proc_root>/1/maps, repeated
 * to be larger than probe_read_file()'s first buffer when size % 3 == 0:
 * the same entries, as many times.
 */
static void check_read(const char *buf, size_t size,
		       const struct vma_list *want)
{
	struct vma_list got = { 0 };
	size_t reps = size % 3 ? 1 : 40000 / size + 1, r, i;
	char path[300];
	FILE *f;
	int err;

	if (!proc_root[0])
		make_proc_root();
	snprintf(path, sizeof(path), "%s/1/maps", proc_root);
	f = fopen(path, "w");
	if (!f)
		abort();
	for (r = 0; r < reps; r++)
		fwrite(buf, 1, size, f);
	if (fclose(f))
		abort();
	err = maps_read(proc_root, 1, &got);
	if (err == -ENOMEM) {
		vma_list_free(&got);
		return;
	}
	FUZZ_CHECK(!err);
	FUZZ_CHECK(got.nr == reps * want->nr);
	for (i = 0; i < got.nr; i++) {
		const struct vma_info *a = &got.v[i],
				      *b = &want->v[i % want->nr];

		FUZZ_CHECK(a->start == b->start && a->end == b->end &&
			   a->offset == b->offset && a->inode == b->inode &&
			   a->kind == b->kind && !strcmp(a->perms, b->perms));
		FUZZ_CHECK(!a->path == !b->path &&
			   (!a->path || !strcmp(a->path, b->path)));
	}
	vma_list_free(&got);
	FUZZ_CHECK(maps_read(proc_root, 2, &got) == -ESRCH && !got.nr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vma_list list = { 0 };
	struct vma_info one;
	char *buf = malloc(size + 1);
	size_t i;
	int err;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';

	err = maps_parse(buf, &list);
	FUZZ_CHECK(!err || err == -EINVAL || err == -ENOMEM);
	for (i = 0; i < list.nr; i++) {
		check_entry(&list.v[i]);
		if (!err)
			check_round_trip(&list.v[i]);
	}
	/* A whole file of lines: read it as the daemon does. */
	if (!err && list.nr && buf[size - 1] == '\n' && !memchr(data, 0, size))
		check_read(buf, size, &list);
	vma_list_free(&list);
	FUZZ_CHECK(!list.v && !list.nr);

	/* The whole input as one line, and as a path. */
	if (!maps_parse_line(buf, &one)) {
		check_entry(&one);
		free(one.path);
	}
	(void)vma_kind_of(buf);
	free(buf);
	return 0;
}
