/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A growable string for building reports.
 */
#ifndef TDXSIM_ULIB_STRBUF_H
#define TDXSIM_ULIB_STRBUF_H

#include <stdarg.h>

#include "ulib/compiler.h"

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT	{ NULL, 0, 0 }

/* Append formatted text; aborts on out-of-memory like the rest of tdxsim. */
void sb_printf(struct strbuf *sb, const char *fmt, ...) __printf(2, 3);
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* The text so far ("" when empty); stays owned by @sb. */
const char *sb_str(const struct strbuf *sb);
/* Hand the text over to the caller (who frees it) and reset @sb. */
char *sb_detach(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/* malloc/calloc/strdup that abort on failure (tdxsim's own bookkeeping). */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif /* TDXSIM_ULIB_STRBUF_H */
