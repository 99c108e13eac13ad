// SPDX-License-Identifier: GPL-2.0-only
/* contig_test: every error the module must return, and nothing moved. */
#include "contig_test.h"

/* ---- error cases ---------------------------------------------------- */

static int expect(const char *what, int got, int want)
{
	if (got == want)
		return PASS;
	diag("%s: got %d (%s), want %d (%s)", what, got, strerror(-got), want,
	     strerror(-want));
	return FAIL;
}

int t_err_file(void)
{
	int fd = open("/tmp/contig-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char *a = map_anon(1), *f;
	int r = FAIL;

	if (fd < 0 || ftruncate(fd, PG) || !a)
		return FAIL;
	f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED)
		return FAIL;
	memset(f, 1, PG);
	memset(a, 1, PG);
	r = expect("shared file",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), a, getpid(), f, 0)),
		   -EINVAL);
	munmap(f, PG);
	/* A private file mapping, even with a COWed page, is not anonymous. */
	f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (f == MAP_FAILED)
		return FAIL;
	f[0] = 2;
	r |= expect("private file",
		    one(CONTIG_IOC_EXCHANGE,
			op_xchg(getpid(), f, getpid(), a, 0)),
		    -EINVAL);
	r |= expect("move file",
		    one(CONTIG_IOC_MOVE, op_move(getpid(), f, pfn_of(a) + 1)),
		    -EINVAL);
	munmap(f, PG);
	munmap(a, PG);
	close(fd);
	unlink("/tmp/contig-file");
	return r;
}

int t_err_thp(void)
{
	size_t len = 8UL << 20;
	char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *h, *a = map_anon(1);
	uint64_t fl = 0;
	int r;

	if (raw == MAP_FAILED || !a)
		return FAIL;
	h = (char *)(((uintptr_t)raw + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	madvise(h, 2UL << 20, MADV_HUGEPAGE);
	memset(h, 3, 2UL << 20);
	memset(a, 3, PG);
	if (kflags(pfn_of(h), &fl) || !(fl & (1ULL << KPF_THP))) {
		munmap(raw, len);
		return skip("no transparent huge page was allocated");
	}
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), h + PG, getpid(), a, 0)),
		   -EOPNOTSUPP);
	r |= expect("move",
		    one(CONTIG_IOC_MOVE, op_move(getpid(), h, pfn_of(a) + 1)),
		    -EOPNOTSUPP);
	munmap(raw, len);
	munmap(a, PG);
	return r;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

int t_err_ksm(void)
{
	char *m = map_anon(4), *a = map_anon(1);
	uint64_t fl = 0;
	int r, i;

	if (!m || !a)
		return FAIL;
	memset(m, 0x5a, 4 * PG);
	memset(a, 1, PG);
	if (madvise(m, 4 * PG, MADV_MERGEABLE))
		return skip("MADV_MERGEABLE failed");
	write_str("/sys/kernel/mm/ksm/sleep_millisecs", "0");
	write_str("/sys/kernel/mm/ksm/pages_to_scan", "10000");
	if (write_str("/sys/kernel/mm/ksm/run", "1"))
		return skip("cannot start ksmd");
	/*
	 * Merged means all four pages share one frame (6.12's kpageflags
	 * reports KPF_KSM for every anonymous page, so that alone proves
	 * nothing).
	 */
	for (i = 0; i < 200; i++) {
		uint64_t p0 = pfn_of(m);

		if (p0 && p0 == pfn_of(m + PG) && p0 == pfn_of(m + 3 * PG) &&
		    !kflags(p0, &fl) && (fl & (1ULL << KPF_KSM)))
			break;
		fl = 0;
		usleep(50000);
	}
	if (!(fl & (1ULL << KPF_KSM))) {
		write_str("/sys/kernel/mm/ksm/run", "2");
		return skip("ksmd did not merge the pages in 10 s");
	}
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(), a, 0)),
		   -EOPNOTSUPP);
	r |= expect("move",
		    one(CONTIG_IOC_MOVE, op_move(getpid(), m, pfn_of(a) + 1)),
		    -EOPNOTSUPP);
	write_str("/sys/kernel/mm/ksm/run", "2");
	munmap(m, 4 * PG);
	munmap(a, PG);
	return r;
}

int t_err_pinned_vmsplice(void)
{
	char *m = map_anon(2);
	int p[2], r;
	struct iovec iov;

	if (!m || pipe(p))
		return FAIL;
	memset(m, 7, 2 * PG);
	iov.iov_base = m;
	iov.iov_len = PG;
	if (vmsplice(p[1], &iov, 1, 0) != (ssize_t)PG)
		return FAIL;
	/* The pipe holds a reference to page 0 until it is read. */
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(), m + PG, 0)),
		   -EBUSY);
	close(p[0]);
	close(p[1]);
	munmap(m, 2 * PG);
	return r;
}

int t_err_pinned_io_uring(void)
{
	struct io_uring_params par;
	char *m = map_anon(2);
	struct iovec iov;
	int fd, r;

	if (!m)
		return FAIL;
	memset(m, 8, 2 * PG);
	memset(&par, 0, sizeof(par));
	fd = (int)syscall(__NR_io_uring_setup, 4, &par);
	if (fd < 0)
		return skip("io_uring_setup failed");
	iov.iov_base = m;
	iov.iov_len = PG;
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov,
		    1)) {
		close(fd);
		return skip("IORING_REGISTER_BUFFERS failed");
	}
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(), m + PG, 0)),
		   -EBUSY);
	r |= expect("move",
		    one(CONTIG_IOC_MOVE,
			op_move(getpid(), m, pfn_of(m + PG) + 1)),
		    -EBUSY);
	close(fd);
	munmap(m, 2 * PG);
	return r;
}

int t_err_unmovable_target(void)
{
	char *m = map_anon(1);
	uint64_t pfn, fl, slab = 0;
	int z, r, fd;
	uint64_t buf[512];

	if (!m)
		return FAIL;
	m[0] = 1;
	pfn = pfn_of(m);
	z = zone_of(pfn);
	fd = open("/proc/kpageflags", O_RDONLY);
	for (uint64_t p = zones[z].start; p < zones[z].end && !slab; p += 512) {
		if (pread(fd, buf, sizeof(buf), (off_t)p * 8) != sizeof(buf))
			break;
		for (int i = 0; i < 512; i++)
			if (buf[i] & (1ULL << KPF_SLAB)) {
				slab = p + i;
				break;
			}
	}
	close(fd);
	if (!slab)
		return skip("no slab page found in the zone");
	kflags(slab, &fl);
	r = expect("move onto slab",
		   one(CONTIG_IOC_MOVE, op_move(getpid(), m, slab)), -EBUSY);
	{
		struct contig_op op = { .kind = CONTIG_OP_EXCHANGE_PFN,
					.pid_a = getpid(),
					.vaddr_a = (uintptr_t)m,
					.pfn = slab };
		int got = one(CONTIG_IOC_EXCHANGE, op);

		/* In place: the occupant is not anonymous; by migration: busy. */
		if (got != -EINVAL && got != -EBUSY)
			r |= expect("exchange with slab", got, -EINVAL);
	}
	r |= expect("move to a frame past memory",
		    one(CONTIG_IOC_MOVE, op_move(getpid(), m, 1ULL << 50)),
		    -EINVAL);
	munmap(m, PG);
	return r;
}

int t_err_other_zone(void)
{
	char *m = map_anon(1);
	uint64_t pfn, tgt[1];
	int z, oz = -1;

	if (!m)
		return FAIL;
	m[0] = 1;
	pfn = pfn_of(m);
	z = zone_of(pfn);
	for (int i = 0; i < nzones; i++)
		if (i != z && zones[i].end > zones[i].start &&
		    strcmp(zones[i].name, "DMA"))
			oz = i;
	if (oz < 0 || free_frames(oz, tgt, 1) != 1)
		return skip("no other populated zone");
	return expect("move to another zone",
		      one(CONTIG_IOC_MOVE, op_move(getpid(), m, tgt[0])),
		      -EXDEV);
}

int t_err_bad_pid(void)
{
	char *m = map_anon(1);
	int r;

	m[0] = 1;
	r = expect("pid 0", one(CONTIG_IOC_MOVE, op_move(0, m, pfn_of(m) + 1)),
		   -ESRCH);
	r |= expect("pid 999999",
		    one(CONTIG_IOC_EXCHANGE,
			op_xchg(999999, m, getpid(), m, 0)),
		    -ESRCH);
	r |= expect("pid -5",
		    one(CONTIG_IOC_EXCHANGE, op_xchg(getpid(), m, -5, m, 0)),
		    -ESRCH);
	/* A kernel thread has no mm. */
	r |= expect("kthreadd",
		    one(CONTIG_IOC_MOVE, op_move(2, m, pfn_of(m) + 1)), -ESRCH);
	munmap(m, PG);
	return r;
}

int t_err_unmapped(void)
{
	char *m = map_anon(3);
	int r;

	m[0] = 1;
	munmap(m + PG, PG);
	r = expect("munmapped",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(), m + PG, 0)),
		   -EFAULT);
	r |= expect("never touched",
		    one(CONTIG_IOC_EXCHANGE,
			op_xchg(getpid(), m, getpid(), m + 2 * PG, 0)),
		    -EFAULT);
	r |= expect("NULL",
		    one(CONTIG_IOC_MOVE,
			op_move(getpid(), NULL, pfn_of(m) + 1)),
		    -EFAULT);
	munmap(m, 3 * PG);
	return r;
}

int t_err_kernel_addr(void)
{
	char *m = map_anon(1);
	int r;

	m[0] = 1;
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(),
			       (void *)0xffffffff81000000UL, 0)),
		   -EFAULT);
	r |= expect("move",
		    one(CONTIG_IOC_MOVE,
			op_move(getpid(), (void *)0xffff888000000000UL,
				pfn_of(m) + 1)),
		    -EFAULT);
	munmap(m, PG);
	return r;
}

int t_err_malformed(void)
{
	char *m = map_anon(2);
	struct contig_op op = op_xchg(getpid(), m, getpid(), m + PG, 0);
	struct contig_batch b = { 0 };
	int r = PASS;

	memset(m, 1, 2 * PG);
	op.kind = 99;
	r |= expect("unknown kind", one(CONTIG_IOC_EXCHANGE, op), -EINVAL);
	op = op_xchg(getpid(), m, getpid(), m + PG, 0x80);
	r |= expect("unknown flag", one(CONTIG_IOC_EXCHANGE, op), -EINVAL);
	op = op_xchg(getpid(), m, getpid(), m + PG, 0);
	op.reserved[1] = 1;
	r |= expect("reserved field", one(CONTIG_IOC_EXCHANGE, op), -EINVAL);
	op = op_xchg(getpid(), m, getpid(), m + PG, 0);
	op.pfn = pfn_of(m);
	r |= expect("EXCHANGE with a pfn", one(CONTIG_IOC_EXCHANGE, op),
		    -EINVAL);
	op = op_move(getpid(), m, CONTIG_PFN_ANY);
	op.vaddr_b = (uintptr_t)(m + PG);
	r |= expect("MOVE with a vaddr_b", one(CONTIG_IOC_MOVE, op), -EINVAL);
	op = op_move(getpid(), m, pfn_of(m + PG));
	op.kind = CONTIG_OP_EXCHANGE_PFN;
	op.pid_b = getpid();
	r |= expect("EXCHANGE_PFN with a pid_b", one(CONTIG_IOC_EXCHANGE, op),
		    -EINVAL);
	r |= expect("exchange via MOVE ioctl",
		    one(CONTIG_IOC_MOVE,
			op_xchg(getpid(), m, getpid(), m + PG, 0)),
		    -EINVAL);
	b.count = 1;
	b.ops = 0x10;
	r |= expect("bad ops pointer",
		    ioctl(devfd, CONTIG_IOC_EXCHANGE, &b) ? -errno : 0,
		    -EFAULT);
	b.ops = (uintptr_t)&op;
	b.flags = 1;
	r |= expect("batch flags",
		    ioctl(devfd, CONTIG_IOC_EXCHANGE, &b) ? -errno : 0,
		    -EINVAL);
	r |= expect("bad batch pointer",
		    ioctl(devfd, CONTIG_IOC_MOVE, (void *)8) ? -errno : 0,
		    -EFAULT);
	r |= expect("unknown ioctl",
		    ioctl(devfd, _IO(CONTIG_IOC_MAGIC, 77), 0) ? -errno : 0,
		    -ENOTTY);
	/* Garbage ops: whatever they say, every op gets an error, no crash. */
	{
		struct contig_op g[64];
		struct contig_batch gb = { .count = 64, .ops = (uintptr_t)g };
		unsigned int seed = 1;

		for (int round = 0; round < 50; round++) {
			for (size_t i = 0; i < sizeof(g); i++)
				((unsigned char *)g)[i] =
					(unsigned char)rand_r(&seed);
			for (int i = 0; i < 64; i++) {
				g[i].outcome = 0;
				g[i].reserved[0] = g[i].reserved[1] = 0;
				g[i].flags &= 1;
				g[i].kind = 1 + g[i].kind % 3;
				if (i % 2)
					g[i].pid_a = getpid();
			}
			gb.done = 0;
			if (ioctl(devfd,
				  g[0].kind == 1 ? CONTIG_IOC_MOVE :
						   CONTIG_IOC_EXCHANGE,
				  &gb)) {
				diag("garbage batch: %s", strerror(errno));
				r = FAIL;
			}
		}
	}
	munmap(m, 2 * PG);
	return r;
}

/*
 * Our pages against random frames anywhere in RAM: exchanges with whatever
 * anonymous page lives there (any process's), moves that evict whatever
 * movable page is there.  Every result must be a documented one, and our
 * contents must survive.
 */
int t_random_frames(void)
{
	size_t n = 256;
	char *m = map_anon(n);
	struct contig_op ops[256];
	uint64_t maxpfn = 0, seed = 88172645463325252ULL;
	int ret = PASS, hist[8] = { 0 };

	if (!m)
		return FAIL;
	fill(m, n, 71);
	for (int i = 0; i < nzones; i++)
		if (zones[i].end > maxpfn)
			maxpfn = zones[i].end;
	for (int round = 0; round < 24 && ret == PASS; round++) {
		for (size_t i = 0; i < n; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].kind = round % 2 ? CONTIG_OP_MOVE :
						  CONTIG_OP_EXCHANGE_PFN;
			ops[i].flags = round % 6 == 4 ? CONTIG_OP_F_MIGRATE : 0;
			ops[i].pid_a = getpid();
			ops[i].vaddr_a = (uintptr_t)(m + i * PG);
			ops[i].pfn = seed % maxpfn;
		}
		if (submit(round % 2 ? CONTIG_IOC_MOVE : CONTIG_IOC_EXCHANGE,
			   ops, n)) {
			ret = FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			switch (-ops[i].result) {
			case 0:
				hist[0]++;
				break;
			case EBUSY:
				hist[1]++;
				break;
			case EAGAIN:
				hist[2]++;
				break;
			case EINVAL:
				hist[3]++;
				break;
			case EOPNOTSUPP:
				hist[4]++;
				break;
			case EXDEV:
				hist[5]++;
				break;
			case ENOMEM:
				hist[6]++;
				break;
			default:
				diag("op %zu (pfn %#" PRIx64 "): unexpected %s",
				     i, (uint64_t)ops[i].pfn,
				     strerror(-ops[i].result));
				ret = FAIL;
			}
		}
	}
	diag("results: ok %d, EBUSY %d, EAGAIN %d, EINVAL %d, EOPNOTSUPP %d, EXDEV %d, ENOMEM %d",
	     hist[0], hist[1], hist[2], hist[3], hist[4], hist[5], hist[6]);
	if (check(m, n, 71)) {
		diag("our pages corrupted");
		ret = FAIL;
	}
	munmap(m, n * PG);
	return ret;
}

int t_err_oversized(void)
{
	size_t n = CONTIG_MAX_BATCH + 1;
	struct contig_op *ops = calloc(n, sizeof(*ops));
	struct contig_batch b = { .count = (uint32_t)n, .ops = (uintptr_t)ops };
	int r;

	r = ioctl(devfd, CONTIG_IOC_EXCHANGE, &b) ? -errno : 0;
	free(ops);
	r = expect("count > CONTIG_MAX_BATCH", r, -E2BIG);
	b.count = UINT32_MAX;
	r |= expect("count = UINT32_MAX",
		    ioctl(devfd, CONTIG_IOC_MOVE, &b) ? -errno : 0, -E2BIG);
	return r;
}

static int drop_caps(unsigned long long drop)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(drop >> (32 * i));

		d[i].effective &= ~m;
		d[i].permitted &= ~m;
		d[i].inheritable &= ~m;
	}
	return (int)syscall(SYS_capset, &h, d);
}

int t_err_no_cap_sys_admin(void)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		char *m = map_anon(2);
		struct contig_info ci;
		int r;

		memset(m, 1, 2 * PG);
		if (drop_caps(1ULL << CAP_SYS_ADMIN))
			_exit(2);
		r = expect("no CAP_SYS_ADMIN",
			   one(CONTIG_IOC_EXCHANGE,
			       op_xchg(getpid(), m, getpid(), m + PG, 0)),
			   -EPERM);
		r |= expect("info still works",
			    ioctl(devfd, CONTIG_IOC_INFO, &ci) ? -errno : 0, 0);
		_exit(r);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? PASS : FAIL;
}

/* A caller without CAP_SYS_PTRACE may not touch another user's process. */
int t_err_no_ptrace_access(void)
{
	int p[2], st = 0, ret;
	pid_t target, pid;
	char *base;

	if (pipe(p))
		return FAIL;
	target = fork();
	if (target == 0) {
		char *m = map_anon(4);

		fill(m, 4, 31);
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(3);
		if (write(p[1], &m, sizeof(m)) != sizeof(m))
			_exit(3);
		for (;;)
			pause();
	}
	if (read(p[0], &base, sizeof(base)) != sizeof(base))
		return FAIL;
	pid = fork();
	if (pid == 0) {
		char *m = map_anon(1);
		int r;

		m[0] = 1;
		/* Still root, still CAP_SYS_ADMIN, but no CAP_SYS_PTRACE. */
		if (drop_caps(1ULL << CAP_SYS_PTRACE))
			_exit(2);
		r = expect("other uid's process",
			   one(CONTIG_IOC_EXCHANGE,
			       op_xchg(getpid(), m, target, base, 0)),
			   -EPERM);
		r |= expect("own process",
			    one(CONTIG_IOC_EXCHANGE,
				op_xchg(getpid(), m, getpid(), m, 0)),
			    0);
		_exit(r);
	}
	waitpid(pid, &st, 0);
	ret = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? PASS : FAIL;
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	close(p[0]);
	close(p[1]);
	return ret;
}
