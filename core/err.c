/* err: see include/err.h. */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

void err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

void err_clear(struct err *e)
{
	if (e)
		e->msg[0] = '\0';
}
