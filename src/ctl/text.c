// SPDX-License-Identifier: GPL-2.0-only
/*
 * Line breaking for contigctl's text output (text.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "text.h"

void text_wrap(FILE *f, const char *lead, const char *text, int indent)
{
	int col = (int)strlen(lead);
	const char *p = text;
	bool first = true; /* no word on this line after lead/indent yet */

	fputs(lead, f);
	while (*p) {
		int word;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		word = (int)strcspn(p, " ");
		if (!first && col + 1 + word > TEXT_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			first = true;
		}
		if (!first) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, (size_t)word, f);
		col += word;
		p += word;
		first = false;
	}
	fputc('\n', f);
}

void text_wrapf(FILE *f, const char *lead, int indent, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_wrap(f, lead, buf, indent);
}
