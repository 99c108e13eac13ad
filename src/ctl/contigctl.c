// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigctl: inspect and trigger physical contiguity of a process.
 *
 *   contigctl [--runtime-dir DIR] [--proc-root DIR] COMMAND [ARGS] [--json]
 *
 * Options may appear before or after the command. Each command lists the
 * options it accepts; the rest are usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contigctl.h"
#include "exit_codes.h"
#include "proc_file.h"
#include "show.h"

#ifndef CONTIG_VERSION
#define CONTIG_VERSION "0.1.0"
#endif

enum {
	OPT_JSON = 1u << 0,
	OPT_RANGE = 1u << 1,
	OPT_WAIT = 1u << 2,
	OPT_TIMEOUT = 1u << 3,
	OPT_WIDE = 1u << 4,
};

static const char *const opt_names[] = { "--json", "--range", "--wait",
					 "--timeout", "--wide" };

struct ctl_cmd {
	const char *name;
	const char *args; /* for the usage text */
	const char *what; /* what it does, for --help */
	unsigned int opts; /* OPT_* it accepts */
	int min_args, max_args;
	int (*run)(const struct ctl_opts *o, int argc, char **argv);
};

static const struct ctl_cmd commands[] = {
	{ "show", "PID [--wide] [--json]",
	  "each VMA's physical contiguity (works without contigd)",
	  OPT_JSON | OPT_WIDE, 1, 1, ctl_show },
	{ "defrag", "PID [--range START-END] [--wait [--timeout MS]] [--json]",
	  "ask contigd to make the process's memory contiguous",
	  OPT_JSON | OPT_RANGE | OPT_WAIT | OPT_TIMEOUT, 1, 1, ctl_defrag },
	{ "status", "[--json]", "what the running contigd does", OPT_JSON, 0,
	  0, ctl_status },
};

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs(CTL_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_parse_pid(const char *s, int *pid)
{
	uint64_t v;

	if (probe_parse_u64(s, 10, &v, NULL) || v == 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: " CTL_PROG
		   " [--runtime-dir DIR] [--proc-root DIR] COMMAND ...\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "       " CTL_PROG " %s %s\n", commands[i].name,
			commands[i].args);
	fprintf(f, "       " CTL_PROG " --help | --version\n");
}

/* --help: every command and every option, 80 columns. */
static void help(FILE *f)
{
	size_t i;

	usage(f);
	fputs("\nCommands:\n", f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fputs("\nOptions (before or after the command):\n"
	      "  --json             print one line of JSON (keys: contigctl(8))\n"
	      "  --wide             show: every column, whole paths and run maps\n"
	      "                     (lines wider than 80 columns)\n"
	      "  --range START-END  defrag: only this range (hex, page-aligned)\n"
	      "  --wait             defrag: until done, with progress and figures\n"
	      "  --timeout MS       defrag --wait: stop waiting after MS ms (default:\n"
	      "                     contigd's wait_timeout_ms); the work goes on\n"
	      "  --runtime-dir DIR  contigd's socket directory (default /run/contigd,\n"
	      "                     or $CONTIGD_RUNTIME_DIR)\n"
	      "  --proc-root DIR    read DIR instead of /proc (tests)\n"
	      "  --help             this text\n"
	      "  --version          the version\n"
	      "\nExit codes (shared with contigd): contigctl(8), EXIT STATUS.\n",
	      f);
}

static const struct ctl_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "runtime-dir", required_argument, NULL, 'R' },
		{ "proc-root", required_argument, NULL, 'P' },
		{ "range", required_argument, NULL, 'r' },
		{ "wait", no_argument, NULL, 'w' },
		{ "wide", no_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o = { 0 };
	const struct ctl_cmd *cmd;
	unsigned int seen = 0;
	char **pos;
	int npos = 0, c, i;
	uint64_t v;

	o.runtime_dir = getenv(CTL_RUNTIME_DIR_ENV);
	if (!o.runtime_dir || !*o.runtime_dir)
		o.runtime_dir = CTL_RUNTIME_DIR_DEFAULT;
	opterr = 0;
	/* GNU getopt permutes: options may follow the command. */
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			seen |= OPT_JSON;
			break;
		case 'R':
			if (!*optarg) {
				ctl_err("--runtime-dir: empty directory name");
				return CTL_EXIT_USAGE;
			}
			o.runtime_dir = optarg;
			break;
		case 'r':
			o.range = optarg;
			seen |= OPT_RANGE;
			break;
		case 'w':
			o.wait = true;
			seen |= OPT_WAIT;
			break;
		case 'W':
			o.wide = true;
			seen |= OPT_WIDE;
			break;
		case 't':
			if (probe_parse_u64(optarg, 10, &v, NULL) || !v ||
			    v > 86400000) {
				ctl_err("--timeout: '%s' is not a number of milliseconds (1-86400000)",
					optarg);
				return CTL_EXIT_USAGE;
			}
			o.timeout_ms = (unsigned int)v;
			seen |= OPT_TIMEOUT;
			break;
		case 'P':
			if (!*optarg) {
				ctl_err("--proc-root: empty directory name");
				return CTL_EXIT_USAGE;
			}
			o.proc_root = optarg;
			break;
		case 'h':
			help(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf(CTL_PROG " " CONTIG_VERSION "\n");
			return CTL_EXIT_OK;
		case ':':
			ctl_err("option %s needs an argument",
				argv[optind - 1]);
			return CTL_EXIT_USAGE;
		default:
			ctl_err("unknown option %s (see --help)",
				argv[optind - 1]);
			return CTL_EXIT_USAGE;
		}
	}
	pos = argv + optind;
	npos = argc - optind;
	if (!npos) {
		ctl_err("no command given (see --help)");
		return CTL_EXIT_USAGE;
	}
	cmd = find_command(pos[0]);
	if (!cmd) {
		ctl_err("unknown command '%s' (see --help)", pos[0]);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < (int)(sizeof(opt_names) / sizeof(opt_names[0])); i++)
		if (seen & ~cmd->opts & (1u << i)) {
			ctl_err("%s: %s is not accepted here", cmd->name,
				opt_names[i]);
			return CTL_EXIT_USAGE;
		}
	if ((seen & OPT_TIMEOUT) && !o.wait) {
		ctl_err("%s: --timeout needs --wait", cmd->name);
		return CTL_EXIT_USAGE;
	}
	if (npos - 1 < cmd->min_args || npos - 1 > cmd->max_args) {
		ctl_err("usage: " CTL_PROG " %s %s", cmd->name, cmd->args);
		return CTL_EXIT_USAGE;
	}
	return cmd->run(&o, npos - 1, pos + 1);
}
