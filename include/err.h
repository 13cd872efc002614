/*
 * err: one small error carrier for core functions.
 *
 * Core functions return 0 on success and -1 on failure, and fill a caller-owned
 * struct err with a message a person can act on. Parse errors use the form
 * "file:line:col: message" so editors and operators can jump to the spot.
 */
#ifndef OPSDECK_ERR_H
#define OPSDECK_ERR_H

#include <stddef.h>

struct err {
	char msg[1024];
};

/* Sets e->msg from a printf-style format. e may be NULL (then nothing happens). */
void err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears e->msg. e may be NULL. */
void err_clear(struct err *e);

#endif
