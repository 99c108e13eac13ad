// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig-bench: benchmarks that print numbers.
 *
 *   contig-bench plan [--json] [--gib N] [--big-gib N] [--seed N]
 *                     [--only NAME]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_bench.h"

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: contig-bench plan [--json] [--gib N] [--big-gib N] "
		   "[--seed N] [--only NAME]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "gib", required_argument, NULL, 'g' },
		{ "big-gib", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .gib = 24, .big_gib = 16, .seed = 1 };
	int c;

	if (argc < 2 || strcmp(argv[1], "plan")) {
		usage(stderr);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'g':
			if (parse_u64(optarg, 5, 1024, &o.gib))
				bad = "--gib takes 5..1024";
			break;
		case 'b':
			if (parse_u64(optarg, 1, 1024, &o.big_gib))
				bad = "--big-gib takes 1..1024";
			break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &o.seed))
				bad = "--seed takes a number";
			break;
		case 'o':
			o.only = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "contig-bench: %s\n", bad);
			return 2;
		}
	}
	if (o.big_gib + 2 > o.gib) {
		fprintf(stderr, "contig-bench: --big-gib must leave 2 GiB of "
				"--gib free\n");
		return 2;
	}
	return plan_bench(&o) ? 1 : 0;
}
