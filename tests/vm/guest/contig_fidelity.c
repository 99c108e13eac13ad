// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_fidelity - an exchanged page keeps every state that belongs to its
 * contents, inside the test VM.
 *
 *   contig_fidelity [CASE...]     run the cases (all by default), TAP output
 *   contig_fidelity --list        list the cases
 *
 * Each case checks exact values: the bytes a process reads, the bits of
 * /proc/PID/pagemap and /proc/kpageflags, the counters of /proc/vmstat, a
 * forked child's exit status.  Cases that need the module's
 * debug_delay_ms parameter set it and put it back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contig_ioctl.h"
#include "guest_fidelity.h"
#include "guest_vmstat.h"

/* ---- finding 1: a stale PG_anon_exclusive ------------------------------ */

struct bg_xchg {
	const void *a, *b;
	int result;
	atomic_int done;
};

static void *bg_xchg_fn(void *arg)
{
	struct bg_xchg *x = arg;

	x->result = xchg(x->a, x->b, 0, NULL);
	atomic_store(&x->done, 1);
	return NULL;
}

/*
 * The race of cow.c's kind: while the module sits between its checks and
 * the unmapping (debug_delay_ms), page A is zapped and the process forks,
 * so B is shared with the child.  After the exchange B lives in A's old
 * frame; the parent's write to B must break COW: the child still reads
 * the value B had at the fork.
 */
static int cow_once(unsigned int delay_ms, int *verdict)
{
	char *m = pages(2, MAP_PRIVATE), *a, *b;
	struct bg_xchg x = { 0 };
	int pfd[2], status, ret = FAIL;
	pthread_t t;
	pid_t child;
	char c = 0;

	if (!m || pipe(pfd))
		return FAIL;
	a = m;
	b = m + PG;
	paint(a, 0xA000);
	paint(b, 0xB000);
	x.a = a;
	x.b = b;
	pthread_create(&t, NULL, bg_xchg_fn, &x);
	usleep(delay_ms * 250);
	madvise(a, PG, MADV_DONTNEED);
	child = fork();
	if (child == 0) {
		if (read(pfd[0], &c, 1) != 1)
			_exit(3);
		/* 0: the pre-fork value; 1: the parent's write leaked in. */
		_exit(wrong(b, 0xB000) == 0 ? 0 : wrong(b, 0xC000) == 0 ? 1 : 2);
	}
	/* The fork must have happened inside the exchange. */
	*verdict = atomic_load(&x.done) ? -1 : 0;
	pthread_join(t, NULL);
	if (child < 0)
		goto out;
	if (x.result) {
		note("exchange: %s", strerror(-x.result));
		*verdict = -1;
	}
	paint(b, 0xC000);
	if (write(pfd[1], "x", 1) != 1 || waitpid(child, &status, 0) != child)
		goto out;
	if (*verdict == 0) {
		ret = want("child's exit status (1: it read the parent's write)",
			   WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), 0);
		ret |= want("wrong words in the parent's B", (long long)wrong(b, 0xC000), 0);
	} else {
		ret = PASS;
	}
out:
	close(pfd[0]);
	close(pfd[1]);
	munmap(m, 2 * PG);
	return ret;
}

/*
 * Delays to try, longest first: on 6.1 an exchange held up for 100 ms or
 * more often finds an extra reference on its pages (-EBUSY).
 */
static const unsigned int delays_ms[] = { 400, 400, 200, 100, 50, 25 };
#define NDELAYS (sizeof(delays_ms) / sizeof(delays_ms[0]))

static int t_cow_zap_fork(void)
{
	int ret = FAIL, verdict = -1;

	for (size_t i = 0; i < NDELAYS; i++) {
		if (set_delay(delays_ms[i]))
			return skipped("no " DELAY_PARAM);
		ret = cow_once(delays_ms[i], &verdict);
		if (ret || verdict == 0)
			break;
		note("delay %u ms: the fork missed the exchange's window; again",
		     delays_ms[i]);
	}
	set_delay(0);
	if (!ret && verdict)
		return skipped("the fork never landed inside the exchange");
	return ret;
}

/* ---- finding 2: PG_swapbacked and MADV_FREE ---------------------------- */

static int t_lazyfree(void)
{
	char *m = pages(2, MAP_PRIVATE), *lazy, *used;
	uint64_t pl, pu;
	int r = PASS;

	if (!m)
		return FAIL;
	lazy = m;
	used = m + PG;
	paint(lazy, 0x1100);
	paint(used, 0x2200);
	if (make_lazyfree(lazy))
		return SKIP;
	pl = frame(lazy);
	pu = frame(used);
	r |= want("exchange", xchg_retry(lazy, used), 0);
	r |= want("lazyfree page's new frame is the other's", (long long)frame(lazy), (long long)pu);
	r |= want("used page's new frame is the other's", (long long)frame(used), (long long)pl);
	r |= want("SWAPBACKED of the used page's frame",
		  !!(frame_flags(used) & KPF_SWAPBACKED), 1);
	r |= want("SWAPBACKED of the lazyfree page's frame",
		  !!(frame_flags(lazy) & KPF_SWAPBACKED), 0);
	r |= want("wrong words in the used page", (long long)wrong(used, 0x2200), 0);
	r |= want("wrong words in the lazyfree page", (long long)wrong(lazy, 0x1100), 0);
	/*
	 * Reclaim: the used page must survive, the lazyfree one may go.  The
	 * exchanged pages wait in a per-CPU LRU batch: drain them all first.
	 */
	put_str("/proc/sys/vm/compact_memory", "1");
	if (madvise(m, 2 * PG, MADV_PAGEOUT)) {
		note("MADV_PAGEOUT: %s", strerror(errno));
		r = FAIL;
	}
	r |= want("wrong words in the used page after MADV_PAGEOUT",
		  (long long)wrong(used, 0x2200), 0);
	r |= want("lazyfree page discarded by MADV_PAGEOUT (reads zero)",
		  all_zero(lazy), 1);
	munmap(m, 2 * PG);
	return r;
}

/* ---- soft-dirty, uffd-wp: pagemap bits travel with the mapping --------- */

static int t_soft_dirty(void)
{
	char *m = pages(2, MAP_PRIVATE);
	int r = PASS;

	if (!m)
		return FAIL;
	paint(m, 0x5000);
	paint(m + PG, 0x6000);
	if (put_str("/proc/self/clear_refs", "4"))
		return skipped("no clear_refs");
	if (pagemap(m) & PM_SOFT_DIRTY)
		return skipped("soft-dirty not cleared (no CONFIG_MEM_SOFT_DIRTY)");
	m[8] = 1; /* word 1 */
	paint(m, 0x5000);
	r |= want("exchange", xchg_retry(m, m + PG), 0);
	r |= want("soft-dirty of the written page", !!(pagemap(m) & PM_SOFT_DIRTY), 1);
	/*
	 * A clean page may come back soft-dirty: remove_migration_pte() marks
	 * a hardware-dirty PTE dirty, which on x86 sets soft-dirty too (6.1),
	 * as after any migration.  Soft-dirty may only err on that side.
	 */
	note("soft-dirty of the clean page after: %d", !!(pagemap(m + PG) & PM_SOFT_DIRTY));
	r |= want("wrong words", (long long)(wrong(m, 0x5000) + wrong(m + PG, 0x6000)), 0);
	munmap(m, 2 * PG);
	return r;
}

static int t_uffd_wp(void)
{
	char *m = pages(2, MAP_PRIVATE);
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg = { 0 };
	struct uffdio_writeprotect wp = { 0 };
	int r = PASS, fd;

	if (!m)
		return FAIL;
	paint(m, 0x7000);
	paint(m + PG, 0x8000);
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return skipped("no userfaultfd");
	reg.range.start = (uintptr_t)m;
	reg.range.len = 2 * PG;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	wp.range.start = (uintptr_t)m;
	wp.range.len = PG;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg) ||
	    ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) {
		close(fd);
		return skipped("uffd-wp unavailable");
	}
	r |= want("uffd-wp before", !!(pagemap(m) & PM_UFFD_WP), 1);
	r |= want("exchange", xchg_retry(m, m + PG), 0);
	r |= want("uffd-wp of the protected page", !!(pagemap(m) & PM_UFFD_WP), 1);
	r |= want("uffd-wp of the other page", !!(pagemap(m + PG) & PM_UFFD_WP), 0);
	r |= want("wrong words", (long long)(wrong(m, 0x7000) + wrong(m + PG, 0x8000)), 0);
	close(fd);
	munmap(m, 2 * PG);
	return r;
}

/* ---- mlocked and droppable pages are refused --------------------------- */

static int t_refused(void)
{
	char *m = pages(2, MAP_PRIVATE), *d;
	uint64_t p0, p1;
	int r = PASS;

	if (!m)
		return FAIL;
	paint(m, 0x9000);
	paint(m + PG, 0x9100);
	if (mlock(m, PG) == 0) {
		p0 = frame(m);
		p1 = frame(m + PG);
		r |= want("exchange with an mlocked page", xchg(m, m + PG, 0, NULL), -EBUSY);
		r |= want("mlocked page stayed", (long long)frame(m), (long long)p0);
		r |= want("other page stayed", (long long)frame(m + PG), (long long)p1);
		munlock(m, PG);
	} else {
		note("mlock: %s (not checked)", strerror(errno));
	}
	d = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		 MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);
	if (d != MAP_FAILED) {
		paint(d, 0x9200);
		p0 = frame(d);
		r |= want("exchange with a droppable page", xchg(d, m + PG, 0, NULL),
			  -EOPNOTSUPP);
		r |= want("exchange by migration with a droppable page",
			  xchg(m + PG, d, CONTIG_OP_F_MIGRATE, NULL), -EOPNOTSUPP);
		r |= want("droppable page stayed", (long long)frame(d), (long long)p0);
		munmap(d, PG);
	} else {
		note("no MAP_DROPPABLE on this kernel (not checked)");
	}
	r |= want("wrong words", (long long)(wrong(m, 0x9000) + wrong(m + PG, 0x9100)), 0);
	munmap(m, 2 * PG);
	return r;
}

/* ---- finding 3: any frame, slab ones included -------------------------- */

static uint64_t max_pfn(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	unsigned long long start = 0, span, top = 0;
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " spanned %llu", &span) == 1 && start + span > top)
			top = start + span;
		if (sscanf(line, " start_pfn: %llu", &start) == 1 && start + span > top)
			top = start + span;
	}
	if (f)
		fclose(f);
	return top;
}

/*
 * One op per call: a frame that slab frees between our read of
 * /proc/kpageflags and the op may legitimately receive our page, and a later
 * op in the same batch would then move our page on and free that frame for
 * slab to take again, which looked like an exchange with a slab frame.  So
 * the frame's flags are read again right after its own op.
 */
static int t_slab_frames(void)
{
	enum { CHUNK = 4096 };
	static uint64_t fl[CHUNK];
	char *m = pages(1, MAP_PRIVATE);
	uint64_t top = max_pfn(), tried = 0, checked = 0, bad = 0, raced = 0;
	int r = PASS;

	if (!m || !top)
		return FAIL;
	paint(m, 0xAB00);
	for (uint64_t base = 0; base < top; base += CHUNK) {
		size_t n = top - base < CHUNK ? top - base : CHUNK;

		if (kpageflags(base, fl, n))
			continue;
		for (size_t i = 0; i < n; i++) {
			struct contig_op op = {
				.kind = CONTIG_OP_EXCHANGE_PFN,
				.pid_a = getpid(),
				.vaddr_a = (uintptr_t)m,
				.pfn = base + i,
			};
			uint64_t after;
			int res;

			if (!(fl[i] & KPF_SLAB))
				continue;
			res = run_op(CONTIG_IOC_EXCHANGE, op, NULL);
			tried++;
			/* Only frames that were slab before and after. */
			if (kpageflags(base + i, &after, 1))
				continue;
			if (!(after & KPF_SLAB)) {
				raced += res == 0 && frame(m) == base + i;
				continue;
			}
			checked++;
			if (res != -EINVAL && bad++ < 5)
				note("slab frame %#" PRIx64 ": %s", base + i,
				     strerror(-res));
		}
	}
	note("%" PRIu64 " slab frames tried, %" PRIu64 " still slab after, %" PRIu64
	     " freed and taken by our page, %" PRIu64 " not EINVAL",
	     tried, checked, raced, bad);
	r |= want("slab frames that did not get EINVAL", (long long)bad, 0);
	if (checked < 100)
		r |= want("slab frames checked (at least 100)", (long long)checked, 100);
	r |= want("wrong words in our page", (long long)wrong(m, 0xAB00), 0);
	munmap(m, PG);
	return r;
}

/* ---- finding 7: NR_ISOLATED_* counts the pages held off the LRU -------- */

static int t_nr_isolated(void)
{
	char *m = pages(2, MAP_PRIVATE);
	struct bg_xchg x = { 0 };
	uint64_t base, during, after;
	pthread_t t;
	int r = PASS;

	if (!m)
		return FAIL;
	paint(m, 0xC100);
	paint(m + PG, 0xC200);
	for (size_t i = 0; i < NDELAYS; i++) {
		if (set_delay(delays_ms[i]))
			return skipped("no " DELAY_PARAM);
		base = vmstat_isolated();
		x.a = m;
		x.b = m + PG;
		pthread_create(&t, NULL, bg_xchg_fn, &x);
		usleep(delays_ms[i] * 400);
		during = vmstat_isolated();
		pthread_join(t, NULL);
		if (x.result != -EBUSY)
			break;
		note("delay %u ms: exchange busy; again", delays_ms[i]);
	}
	set_delay(0);
	after = vmstat_isolated();
	note("nr_isolated: before %" PRIu64 ", during %" PRIu64 ", after %" PRIu64,
	     base, during, after);
	r |= want("exchange", x.result, 0);
	r |= want("pages isolated during the exchange (at least 2)",
		  during >= base + 2 ? 2 : (long long)(during - base), 2);
	r |= want("isolated after, minus before", (long long)(after - base), 0);
	r |= want("wrong words", (long long)(wrong(m, 0xC100) + wrong(m + PG, 0xC200)), 0);
	munmap(m, 2 * PG);
	return r;
}

/* ---- ABI 2: outcome and unused fields ---------------------------------- */

static int t_outcome(void)
{
	char *m = pages(2, MAP_PRIVATE);
	struct contig_op op;
	uint32_t out = 0xdead;
	int r = PASS, got;

	if (!m)
		return FAIL;
	paint(m, 0xD100);
	paint(m + PG, 0xD200);
	out = 0xdead;
	got = xchg(m, m + PG, CONTIG_OP_F_MIGRATE, &out);
	r |= want("exchange by migration", got, 0);
	r |= want("its outcome", out, CONTIG_OUT_A_MOVED | CONTIG_OUT_B_MOVED);
	got = xchg(m, m + PG, 0, &out);
	r |= want("exchange", got, 0);
	r |= want("its outcome", out, got ? 0 : CONTIG_OUT_A_MOVED | CONTIG_OUT_B_MOVED);
	op = (struct contig_op){ .kind = CONTIG_OP_EXCHANGE, .pid_a = getpid(),
				 .vaddr_a = (uintptr_t)m, .pid_b = getpid(),
				 .vaddr_b = (uintptr_t)(m + PG), .pfn = 1,
				 .outcome = 0xdead };
	r |= want("exchange with a pfn", run_op(CONTIG_IOC_EXCHANGE, op, &out), -EINVAL);
	r |= want("its outcome", out, 0);
	r |= want("wrong words", (long long)(wrong(m, 0xD100) + wrong(m + PG, 0xD200)), 0);
	munmap(m, 2 * PG);
	return r;
}

/* ---- pidfds name processes that pids could not ----------------------- */

static int pidfd_xchg(int fa, const void *a, int fb, const void *b)
{
	struct contig_op op = {
		.kind = CONTIG_OP_EXCHANGE,
		.flags = CONTIG_OP_F_PIDFD,
		.pid_a = fa,
		.vaddr_a = (uintptr_t)a,
		.pid_b = fb,
		.vaddr_b = (uintptr_t)b,
	};
	return run_op(CONTIG_IOC_EXCHANGE, op, NULL);
}

static int t_pidfd(void)
{
	struct contig_info info;
	char *m = pages(2, MAP_PRIVATE);
	uint64_t p0, p1;
	int r = PASS, self, gone, st;
	pid_t child;

	if (!m || ioctl(dev, CONTIG_IOC_INFO, &info))
		return FAIL;
	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (self < 0)
		return skipped("no pidfd_open");
	paint(m, 0xE100);
	paint(m + PG, 0xE200);
	if (!(info.caps & CONTIG_CAP_PIDFD)) {
		r |= want("pidfd op without CONTIG_CAP_PIDFD",
			  pidfd_xchg(self, m, self, m + PG), -EOPNOTSUPP);
		close(self);
		munmap(m, 2 * PG);
		return r;
	}
	p0 = frame(m);
	p1 = frame(m + PG);
	r |= want("exchange named by pidfds", pidfd_xchg(self, m, self, m + PG), 0);
	r |= want("first page moved to the second's frame", (long long)frame(m), (long long)p1);
	r |= want("second page moved to the first's frame", (long long)frame(m + PG), (long long)p0);
	r |= want("a descriptor that is no pidfd", pidfd_xchg(dev, m, self, m + PG), -EBADF);
	r |= want("a closed descriptor", pidfd_xchg(1000, m, self, m + PG), -EBADF);
	child = fork();
	if (child == 0)
		_exit(0);
	gone = (int)syscall(SYS_pidfd_open, child, 0);
	waitpid(child, &st, 0);
	if (gone >= 0) {
		r |= want("pidfd of a reaped child", pidfd_xchg(gone, m, self, m + PG), -ESRCH);
		close(gone);
	}
	r |= want("wrong words", (long long)(wrong(m, 0xE100) + wrong(m + PG, 0xE200)), 0);
	close(self);
	munmap(m, 2 * PG);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "cow_zap_fork_during_exchange", t_cow_zap_fork },
	{ "lazyfree_swapbacked_follows_contents", t_lazyfree },
	{ "soft_dirty_survives", t_soft_dirty },
	{ "uffd_wp_survives", t_uffd_wp },
	{ "mlocked_and_droppable_refused", t_refused },
	{ "slab_frames_einval", t_slab_frames },
	{ "nr_isolated_counts", t_nr_isolated },
	{ "outcome_and_unused_fields", t_outcome },
	{ "pidfd_names_the_process", t_pidfd },
};

int main(int argc, char **argv)
{
	size_t nc = sizeof(cases) / sizeof(cases[0]);
	int failed = 0, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < nc; i++)
			puts(cases[i].name);
		return 0;
	}
	dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		printf("Bail out! open %s: %s\n", CONTIG_DEVICE_PATH, strerror(errno));
		return 1;
	}
	printf("TAP version 13\n");
	for (size_t i = 0; i < nc; i++) {
		bool run = argc <= 1;
		int r;

		for (int j = 1; j < argc; j++)
			run |= !strcmp(argv[j], cases[i].name);
		if (!run)
			continue;
		why[0] = 0;
		r = cases[i].fn();
		n++;
		if (r == SKIP)
			printf("ok %d - %s # SKIP %s\n", n, cases[i].name, why);
		else
			printf("%sok %d - %s\n", r ? "not " : "", n, cases[i].name);
		failed += r == FAIL;
	}
	printf("1..%d\n# %d passed, %d failed\n", n, n - failed, failed);
	return failed ? 1 : 0;
}
