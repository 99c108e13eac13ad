// SPDX-License-Identifier: GPL-2.0-only
/* contig_test: the case table and main(). */
#include "contig_test.h"

int t_info(void)
{
	diag("abi %u, max_batch %u, caps %#llx%s%s, page_size %u",
	     info.abi_version, info.max_batch, (unsigned long long)info.caps,
	     info.caps & CONTIG_CAP_EXCHANGE_INPLACE ? " exchange-in-place" :
						       "",
	     info.caps & CONTIG_CAP_MIGRATE_FALLBACK ? " migrate-fallback" : "",
	     info.page_size);
	if (info.abi_version != CONTIG_ABI_VERSION ||
	    info.max_batch != CONTIG_MAX_BATCH || info.page_size != PG ||
	    !(info.caps & CONTIG_CAP_MIGRATE_FALLBACK))
		return FAIL;
	/* CONTIG_EXPECT_INPLACE=1 makes a missing in-place exchange a failure. */
	if (getenv("CONTIG_EXPECT_INPLACE") &&
	    !strcmp(getenv("CONTIG_EXPECT_INPLACE"), "1") &&
	    !(info.caps & CONTIG_CAP_EXCHANGE_INPLACE))
		return FAIL;
	return PASS;
}

struct tcase {
	const char *name;
	int (*fn)(void);
};

static const struct tcase cases[] = {
	{ "info", t_info },
	{ "exchange_within_process_4096_pages", t_exchange_self },
	{ "exchange_pfn_within_process", t_exchange_pfn_self },
	{ "exchange_by_migration_512_pages", t_exchange_self_migrate },
	{ "move_within_process_2048_pages", t_move_self },
	{ "move_to_any_frame_1024_pages", t_move_any },
	{ "exchange_across_processes_2048_pairs", t_exchange_cross },
	{ "move_other_process", t_move_cross },
	{ "einval_file_mapping", t_err_file },
	{ "eopnotsupp_thp", t_err_thp },
	{ "eopnotsupp_ksm", t_err_ksm },
	{ "ebusy_pinned_vmsplice", t_err_pinned_vmsplice },
	{ "ebusy_pinned_io_uring_fixed_buffer", t_err_pinned_io_uring },
	{ "ebusy_unmovable_target", t_err_unmovable_target },
	{ "exdev_other_zone", t_err_other_zone },
	{ "esrch_bad_pid", t_err_bad_pid },
	{ "efault_unmapped", t_err_unmapped },
	{ "efault_kernel_address", t_err_kernel_addr },
	{ "einval_malformed_and_garbage", t_err_malformed },
	{ "e2big_oversized_batch", t_err_oversized },
	{ "random_frames_anywhere", t_random_frames },
	{ "eperm_no_cap_sys_admin", t_err_no_cap_sys_admin },
	{ "eperm_no_ptrace_access", t_err_no_ptrace_access },
	{ "race_target_munmap_and_exit", t_race_munmap },
	{ "race_target_fork", t_race_fork_exit },
	{ "race_own_threads_munmap", t_race_threads },
};

/* ---- main ----------------------------------------------------------- */

int main(int argc, char **argv)
{
	size_t ncases = sizeof(cases) / sizeof(cases[0]);
	int failed = 0, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < ncases; i++)
			puts(cases[i].name);
		return 0;
	}
	devfd = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		printf("Bail out! open %s: %s\n", CONTIG_DEVICE_PATH,
		       strerror(errno));
		return 1;
	}
	if (ioctl(devfd, CONTIG_IOC_INFO, &info)) {
		printf("Bail out! CONTIG_IOC_INFO: %s\n", strerror(errno));
		return 1;
	}
	read_zones();
	if (argc > 1 && !strcmp(argv[1], "bench")) {
		char *end;
		unsigned long long np = argc > 2 ? strtoull(argv[2], &end, 10) :
						   4096;

		if (argc > 2 && (*end || np == 0 || np > (1 << 20))) {
			fprintf(stderr, "contig_test: bad pair count '%s'\n",
				argv[2]);
			return 2;
		}
		return bench((size_t)np);
	}

	printf("TAP version 13\n");
	for (size_t i = 0; i < ncases; i++) {
		bool want = argc <= 1;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], cases[i].name);
		if (want)
			n++;
	}
	printf("1..%d\n", n);
	n = 0;
	for (size_t i = 0; i < ncases; i++) {
		bool want = argc <= 1;
		int r;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], cases[i].name);
		if (!want)
			continue;
		n++;
		skip_why[0] = 0;
		r = cases[i].fn();
		if (r == SKIP)
			printf("ok %d - %s # SKIP %s\n", n, cases[i].name,
			       skip_why);
		else
			printf("%sok %d - %s\n", r == PASS ? "" : "not ", n,
			       cases[i].name);
		if (r == FAIL)
			failed++;
	}
	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
