/*
 * probe_nagios: the Nagios plugin protocol for custom probes: the exit code as
 * the state, the first line as the summary, and perfdata (label=value[UOM];warn;
 * crit;min;max) as metrics.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "probe.h"
#include "probe_internal.h"
#include "text.h"

/* ---- perfdata ---- */

/* Units of measure from the plugin guidelines; anything else is kept as text. */
static const char *const known_uoms[] = { "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c",
					  NULL };

bool probe_uom_known(const char *uom)
{
	for (size_t i = 0; uom && known_uoms[i]; i++)
		if (strcmp(uom, known_uoms[i]) == 0)
			return true;
	return false;
}

/*
 * A threshold range: "10", "10:", "~:10", "10:20", "@10:20". We keep one number,
 * the end of the range when it has one, else its start ("10:" -> 10, "~:" and ""
 * -> NAN). false when malformed.
 */
static bool parse_range(const char *s, double *out)
{
	const char *colon = NULL;
	double start = NAN, end = NAN;
	const char *p = NULL;

	*out = NAN;
	if (!*s)
		return true;
	if (*s == '@')
		s++;
	colon = strchr(s, ':');
	if (!colon)
		return probe_parse_number(s, out);
	p = s;
	if (*p == '~' && p + 1 == colon)
		p = colon;
	else if (p != colon && !(probe_scan_number(&p, &start) && p == colon))
		return false;
	if (s == colon && colon[1] == '\0')
		return false; /* ":" says nothing */
	if (colon[1] && !probe_parse_number(colon + 1, &end))
		return false;
	*out = !isnan(end) ? end : start;
	return true;
}

/* min and max: a number or empty (NAN). */
static bool parse_bound(const char *s, double *out)
{
	*out = NAN;
	return !*s || probe_parse_number(s, out);
}

/*
 * Parses "label=value[UOM];warn;crit;min;max" at *pp into m. Always advances *pp
 * past the item (a malformed one ends at the next blank). Returns true when m
 * was filled.
 */
static bool parse_item(const char **pp, struct probe_metric *m)
{
	const char *p = *pp;
	char label[256];
	char tok[256];
	char *field[5] = { NULL };
	size_t ln = 0, tn = 0, nf = 0;
	const char *v = NULL;
	bool ok = false;

	if (*p == '\'') {
		/* Quoted label: anything but a lone quote; '' is a quote. */
		for (p++;; p++) {
			if (*p == '\0')
				goto out;
			if (*p == '\'' && p[1] != '\'') {
				p++;
				break;
			}
			if (*p == '\'')
				p++;
			if (ln < sizeof label - 1)
				label[ln++] = *p;
		}
	} else {
		for (; *p && *p != '=' && !probe_is_blank(*p); p++)
			if (ln < sizeof label - 1)
				label[ln++] = *p;
	}
	label[ln] = '\0';
	if (*p != '=' || ln == 0)
		goto out;
	for (p++; *p && !probe_is_blank(*p); p++) {
		if (tn >= sizeof tok - 1)
			goto out;
		tok[tn++] = *p;
	}
	tok[tn] = '\0';
	/* value[UOM];warn;crit;min;max -- fields past max are ignored. */
	for (char *f = tok; f && nf < 5; nf++) {
		field[nf] = f;
		f = strchr(f, ';');
		if (f)
			*f++ = '\0';
	}
	memset(m, 0, sizeof *m);
	m->warn = m->crit = m->min = m->max = NAN;
	v = field[0];
	if (strcmp(v, "U") == 0) {
		m->value = NAN; /* the plugin could not determine it */
	} else {
		if (!probe_scan_number(&v, &m->value))
			goto out;
		/* A unit has no digits and does not start like a number: "1.2.3",
		 * "5-4" and "0x10" are garbage. */
		if (*v && strchr(".,+-", *v) != NULL)
			goto out;
		for (const char *u = v; *u; u++)
			if (probe_is_digit(*u))
				goto out;
		probe_copy_utf8(m->uom, sizeof m->uom, v, strlen(v));
	}
	if ((nf > 1 && !parse_range(field[1], &m->warn)) ||
	    (nf > 2 && !parse_range(field[2], &m->crit)) ||
	    (nf > 3 && !parse_bound(field[3], &m->min)) || (nf > 4 && !parse_bound(field[4], &m->max)))
		goto out;
	probe_copy_utf8(m->label, sizeof m->label, label, ln);
	ok = true;
out:
	if (!ok)
		while (*p && !probe_is_blank(*p))
			p++;
	*pp = p;
	return ok;
}

size_t probe_parse_perfdata(const char *s, struct probe_metric *m, size_t max)
{
	const char *p = s;
	size_t n = 0;

	if (!s || !m)
		return 0;
	while (n < max) {
		while (probe_is_blank(*p))
			p++;
		if (!*p)
			break;
		if (parse_item(&p, &m[n]))
			n++;
	}
	return n;
}

/* ---- Nagios plugin output ---- */

int probe_parse_nagios(const char *out, size_t len, int exit_status, struct probe_result *r)
{
	char *buf = NULL;
	char *rest = NULL;
	char *bar = NULL;
	const char *perf1 = NULL, *perf2 = NULL;
	const char *text = NULL;
	size_t n = 0;

	probe_result_init(r);
	r->state = probe_state_known(exit_status) ? (enum probe_state)exit_status : PROBE_UNKNOWN;
	if (!out)
		len = 0;
	buf = probe_dup_text(out ? out : "", len);
	if (!buf) {
		r->state = PROBE_UNKNOWN;
		probe_set_summaryf(r, "out of memory");
		goto out;
	}
	/* Line 1: "TEXT | PERF". Later lines are long text until a '|', after which
	 * everything (that line's rest and all following lines) is more perfdata. */
	rest = strchr(buf, '\n');
	if (rest)
		*rest++ = '\0';
	bar = strchr(buf, '|');
	if (bar) {
		*bar = '\0';
		perf1 = bar + 1;
	}
	if (rest && (bar = strchr(rest, '|')) != NULL)
		perf2 = bar + 1;
	n = probe_parse_perfdata(perf1, r->metrics, PROBE_MAX_METRICS);
	n += probe_parse_perfdata(perf2, r->metrics + n, PROBE_MAX_METRICS - n);
	r->n_metrics = n;
	if (n > 0)
		r->value = r->metrics[0].value;

	text = buf + strspn(buf, " \t\r");
	if (!*text)
		text = "no output";
	if (probe_state_known(exit_status))
		probe_set_summary(r, text, strlen(text));
	else if (exit_status < 0)
		probe_set_summaryf(r, "(no exit status) %s", text);
	else
		probe_set_summaryf(r, "(exit %d) %s", exit_status, text);
out:
	free(buf);
	return 0;
}

