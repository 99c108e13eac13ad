// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigd --check-config [FILE]: parse a configuration file the way a
 * start or a reload would, and say whether it would be accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check_config.h"
#include "config.h"
#include "exit_codes.h"

int check_config(const char *path, bool explicit_path)
{
	struct contigd_config c;
	char err[256] = "";
	int ret;

	ret = config_parse_file(path, &c, err, sizeof(err));
	config_free(&c);
	if (ret == -ENOENT && !explicit_path) {
		printf("%s: no such file: the defaults apply\n", path);
		return CONTIGD_EXIT_OK;
	}
	if (ret) {
		fprintf(stderr, "contigd: %s\n", *err ? err : strerror(-ret));
		return CONTIGD_EXIT_CONFIG;
	}
	printf("%s: ok\n", path);
	return CONTIGD_EXIT_OK;
}
