/*
 * probe_internal: what the probe sources (probe.c, probe_nagios.c,
 * probe_builtin.c, probe_sample.c) share: text helpers and result builders. Not a
 * public header.
 */
#ifndef OPSDECK_PROBE_INTERNAL_H
#define OPSDECK_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h"

/* True for OK, WARNING, CRITICAL and UNKNOWN. */
bool probe_state_known(int s);
bool probe_is_blank(char c);
bool probe_is_digit(char c);
/* Copies at most n bytes of src into dst (cap bytes, NUL-terminated) without
 * cutting a UTF-8 sequence; returns the bytes copied. */
size_t probe_copy_utf8(char *dst, size_t cap, const char *src, size_t n);
/* A sanitised, NUL-terminated copy of out[0..len). The caller frees; NULL on no memory. */
char *probe_dup_text(const char *out, size_t len);
/* The next line of *cur (cut in place), or NULL at the end. */
char *probe_next_line(char **cur);
/* Splits line on blanks into at most max fields (rest: the last takes the rest). */
size_t probe_split_fields(char *line, char **f, size_t max, bool rest);
/* Reads a number at *p and moves *p past it; false when there is none. */
bool probe_scan_number(const char **p, double *out);
/* s is exactly one number. */
bool probe_parse_number(const char *s, double *out);
void probe_result_init(struct probe_result *r);
/* Sets the result's summary from s[0..n), sanitised and cut to fit. */
void probe_set_summary(struct probe_result *r, const char *s, size_t n);
void probe_set_summaryf(struct probe_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a metric; NULL when the result is full. */
struct probe_metric *probe_add_metric(struct probe_result *r, const char *label, double value,
				      const char *uom, double warn, double crit, double min, double max);
/* The thresholds that apply to probe (built-in defaults where lim has none). */
struct probe_limits probe_limits_resolve(const struct probe_limits *lim, const char *probe);
/* Appends item to a ", "-separated list in buf; false when it did not fit. */
bool probe_list_add(char *buf, size_t cap, const char *item);

#endif
