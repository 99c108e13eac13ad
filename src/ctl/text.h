/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigctl's text output fits 80 columns: long lines are broken at
 * blanks onto indented continuation lines.
 */
#ifndef CONTIG_CTL_TEXT_H
#define CONTIG_CTL_TEXT_H

#include <stdio.h>

#define TEXT_WIDTH 80

/*
 * Print lead then text, broken at blanks so that no line is wider than
 * TEXT_WIDTH; continuation lines start with indent blanks. A word wider
 * than a line is printed on a line of its own. Ends with a newline.
 */
void text_wrap(FILE *f, const char *lead, const char *text, int indent);

/* text_wrap of a printf-formatted text (truncated at 1023 bytes). */
void text_wrapf(FILE *f, const char *lead, int indent, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
