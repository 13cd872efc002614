/*
 * incident_report: figures over a window of incidents (counts, SLA breaches, MTTA
 * and MTTR as median and p90) and the markdown post-mortem draft of one incident.
 * Everything read from the database is sanitised again on the way out, and
 * markdown-escaped, since titles and notes come from people and probes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "incident.h"
#include "mem.h"
#include "json.h"
#include "text.h"

/* ---- figures ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest integer, halves away from zero (no libm in the link). */
static int64_t round_ld(long double v)
{
	return (int64_t)(v >= 0 ? v + 0.5L : v - 0.5L);
}

int64_t incident_percentile(const int64_t *sorted, size_t n, double q)
{
	long double h, f;
	size_t k;

	if (n == 0)
		return 0;
	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	h = (long double)q * (long double)(n - 1);
	k = (size_t)h; /* h >= 0: truncation is the floor */
	f = h - (long double)k;
	if (k + 1 >= n)
		return sorted[n - 1];
	return round_ld((long double)sorted[k] + f * (long double)(sorted[k + 1] - sorted[k]));
}

/* Sorts v and fills s; v may be NULL when n is 0. */
static void stat_fill(int64_t *v, size_t n, struct incident_stat *s)
{
	long double sum = 0;

	memset(s, 0, sizeof *s);
	s->n = (int64_t)n;
	if (n == 0)
		return;
	qsort(v, n, sizeof *v, cmp_i64);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s->median = incident_percentile(v, n, 0.5);
	s->p90 = incident_percentile(v, n, 0.9);
	s->mean = round_ld(sum / (long double)n);
	s->max = v[n - 1];
}

/* Appends x to a growing array. -1 when memory runs out. */
static int push(int64_t **v, size_t *n, size_t *cap, int64_t x)
{
	int64_t *nv = mem_grow(*v, cap, *n, sizeof *nv);

	if (!nv)
		return -1;
	*v = nv;
	(*v)[(*n)++] = x;
	return 0;
}

int incident_report_build(struct store *st, int64_t since, int64_t until,
			  struct incident_report *r, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int64_t *ack = NULL, *res = NULL;
	size_t n_ack = 0, c_ack = 0, n_res = 0, c_res = 0;
	int step, rc = -1;

	memset(r, 0, sizeof *r);
	r->since = since;
	r->until = until;
	/* incidents_opened serves the window; the durations are sorted in memory. */
	s = store_prepare(st, "SELECT severity, classification, state, opened_at, "
			      "coalesce(acked_at, 0), coalesce(resolved_at, 0), "
			      "coalesce(ack_sla, ''), coalesce(resolve_sla, '') FROM incidents "
			      "WHERE opened_at >= ? AND opened_at < ?", e);
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int sev = sqlite3_column_int(s, 0);
		int cls = incident_class_parse((const char *)sqlite3_column_text(s, 1));
		int state = incident_state_parse((const char *)sqlite3_column_text(s, 2));
		int64_t opened = sqlite3_column_int64(s, 3);
		int64_t acked = sqlite3_column_int64(s, 4);
		int64_t resolved = sqlite3_column_int64(s, 5);

		r->total++;
		if (sev >= 1 && sev <= INCIDENT_N_SEV)
			r->by_severity[sev - 1]++;
		r->by_class[cls < 0 ? INCIDENT_CLASS_UNKNOWN : cls]++;
		if (state >= 0)
			r->by_state[state]++;
		if (strcmp((const char *)sqlite3_column_text(s, 6), "breached") == 0)
			r->ack_breaches++;
		if (strcmp((const char *)sqlite3_column_text(s, 7), "breached") == 0)
			r->resolve_breaches++;
		if ((acked && push(&ack, &n_ack, &c_ack, acked - opened)) ||
		    (resolved && push(&res, &n_res, &c_res, resolved - opened))) {
			err_set(e, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
		goto out;
	}
	stat_fill(ack, n_ack, &r->mtta);
	stat_fill(res, n_res, &r->mttr);
	rc = 0;
out:
	sqlite3_finalize(s);
	free(ack);
	free(res);
	return rc;
}

static void put_stat_row(FILE *out, const char *name, const struct incident_stat *s)
{
	char med[32], p90[32], mean[32], max[32];

	if (s->n == 0) {
		fprintf(out, "%-6s %6" PRId64 "  %-10s %-10s %-10s %s\n", name, s->n, "-", "-", "-", "-");
		return;
	}
	incident_duration_format(s->median, med, sizeof med);
	incident_duration_format(s->p90, p90, sizeof p90);
	incident_duration_format(s->mean, mean, sizeof mean);
	incident_duration_format(s->max, max, sizeof max);
	fprintf(out, "%-6s %6" PRId64 "  %-10s %-10s %-10s %s\n", name, s->n, med, p90, mean, max);
}

void incident_report_print(const struct incident_report *r, const struct incident_config *cfg,
			   FILE *out)
{
	char a[32], b[32];

	clock_format_local(r->since, a, sizeof a);
	clock_format_local(r->until, b, sizeof b);
	fprintf(out, "Incidents opened from %s to %s (local time): %" PRId64 "\n\n", a, b, r->total);
	fprintf(out, "By severity\n");
	for (int i = 0; i < INCIDENT_N_SEV; i++) {
		char *name = text_sanitize_str(cfg->sev[i].name, 0);

		fprintf(out, "  SEV%d %-18s %6" PRId64 "\n", i + 1, name ? name : "", r->by_severity[i]);
		free(name);
	}
	fprintf(out, "\nBy classification\n");
	for (int i = 0; i < INCIDENT_N_CLASSES; i++)
		fprintf(out, "  %-23s %6" PRId64 "\n", incident_class_name(i), r->by_class[i]);
	fprintf(out, "\nState now\n");
	for (int i = 0; i < INCIDENT_N_STATES; i++)
		fprintf(out, "  %-23s %6" PRId64 "\n", incident_state_name(i), r->by_state[i]);
	fprintf(out, "\nSLA breaches: acknowledge %" PRId64 ", resolve %" PRId64 "\n\n",
		r->ack_breaches, r->resolve_breaches);
	fprintf(out, "%-6s %6s  %-10s %-10s %-10s %s\n", "", "n", "median", "p90", "mean", "max");
	put_stat_row(out, "MTTA", &r->mtta);
	put_stat_row(out, "MTTR", &r->mttr);
	fprintf(out, "\nMTTA: first acknowledgement - opened; MTTR: resolved - opened; over the "
		     "incidents above\nthat were acknowledged / resolved. Percentiles interpolate "
		     "between closest ranks.\n");
}

static void json_stat(FILE *out, const char *key, const struct incident_stat *s)
{
	json_put_key(out, key, 0);
	putc('{', out);
	json_put_key(out, "n", 1);
	json_put_int(out, s->n, 0);
	json_put_key(out, "median", 0);
	json_put_int(out, s->median, s->n == 0);
	json_put_key(out, "p90", 0);
	json_put_int(out, s->p90, s->n == 0);
	json_put_key(out, "mean", 0);
	json_put_int(out, s->mean, s->n == 0);
	json_put_key(out, "max", 0);
	json_put_int(out, s->max, s->n == 0);
	putc('}', out);
}

void incident_report_json(const struct incident_report *r, FILE *out)
{
	char a[40], b[40], sev[8];

	clock_format_utc(r->since, a, sizeof a);
	clock_format_utc(r->until, b, sizeof b);
	putc('{', out);
	json_put_key(out, "since", 1);
	json_put_string(out, a);
	json_put_key(out, "until", 0);
	json_put_string(out, b);
	json_put_key(out, "total", 0);
	json_put_int(out, r->total, 0);
	json_put_key(out, "by_severity", 0);
	putc('{', out);
	for (int i = 0; i < INCIDENT_N_SEV; i++) {
		snprintf(sev, sizeof sev, "SEV%d", i + 1);
		json_put_key(out, sev, i == 0);
		json_put_int(out, r->by_severity[i], 0);
	}
	fputs("}", out);
	json_put_key(out, "by_classification", 0);
	putc('{', out);
	for (int i = 0; i < INCIDENT_N_CLASSES; i++) {
		json_put_key(out, incident_class_name(i), i == 0);
		json_put_int(out, r->by_class[i], 0);
	}
	fputs("}", out);
	json_put_key(out, "by_state", 0);
	putc('{', out);
	for (int i = 0; i < INCIDENT_N_STATES; i++) {
		json_put_key(out, incident_state_name(i), i == 0);
		json_put_int(out, r->by_state[i], 0);
	}
	fputs("}", out);
	json_put_key(out, "sla_breaches", 0);
	putc('{', out);
	json_put_key(out, "acknowledge", 1);
	json_put_int(out, r->ack_breaches, 0);
	json_put_key(out, "resolve", 0);
	json_put_int(out, r->resolve_breaches, 0);
	putc('}', out);
	json_stat(out, "mtta_ms", &r->mtta);
	json_stat(out, "mttr_ms", &r->mttr);
	fputs("}\n", out);
}

/* ---- post-mortem ---- */

/* Sanitised, markdown-escaped text; newlines kept only when multi (else spaces). */
static void put_md(FILE *out, const char *s, bool multi)
{
	char *c = text_sanitize_str(s ? s : "", multi ? TEXT_KEEP_NEWLINES : 0);

	for (const char *p = c ? c : ""; *p; p++) {
		/* '#' only matters at the start of a line (a heading). */
		if (strchr("\\`*_<>[]|", *p) || (*p == '#' && (p == c || p[-1] == '\n')))
			putc('\\', out);
		putc(*p, out);
	}
	free(c);
}

static void put_time(FILE *out, int64_t ms)
{
	char local[32];

	clock_format_local(ms, local, sizeof local);
	fputs(local, out);
}

/* "- Label: time (after D)" for a timestamp that is set. */
static void put_stamp(FILE *out, const char *label, int64_t ms, int64_t opened)
{
	char d[32];

	if (!ms)
		return;
	incident_duration_format(ms - opened, d, sizeof d);
	fprintf(out, "- %s: ", label);
	put_time(out, ms);
	fprintf(out, " (after %s)\n", d);
}

static int pm_event(const struct incident_event *ev, void *ud)
{
	FILE *out = ud;

	fputs("| ", out);
	put_time(out, ev->ts);
	fputs(" | ", out);
	put_md(out, ev->actor, false);
	if (ev->automatic)
		fputs(" (automatic)", out);
	fputs(" | ", out);
	put_md(out, ev->kind, false);
	if (ev->from_state && ev->to_state) {
		fputs(" (", out);
		put_md(out, ev->from_state, false);
		fputs(" -> ", out);
		put_md(out, ev->to_state, false);
		fputs(")", out);
	}
	if (ev->text) {
		fputs(": ", out);
		put_md(out, ev->text, false);
	}
	fputs(" |\n", out);
	return 0;
}

struct pm_problems {
	FILE *out;
	int n;
	int open;
	int unknown_cause;
};

static int pm_problem(const struct problem *p, void *ud)
{
	struct pm_problems *c = ud;
	char crit[64];

	c->n++;
	if (p->status != PROBLEM_RESOLVED && p->status != PROBLEM_CLOSED)
		c->open++;
	fprintf(c->out, "- Problem #%" PRId64 " (%s, %s): ", p->id, problem_type_name(p->type),
		problem_status_name(p->status));
	put_md(c->out, p->title, false);
	problem_criticality_format(p->criticality, crit, sizeof crit);
	if (crit[0])
		fprintf(c->out, "; critical for %s", crit);
	fputs("\n  - Root cause: ", c->out);
	if (p->root_cause) {
		put_md(c->out, p->root_cause, false);
	} else {
		fputs("not known yet", c->out);
		c->unknown_cause++;
	}
	fputs("\n", c->out);
	return 0;
}

static int pm_action(const struct problem *p, void *ud)
{
	FILE *out = ud;

	if (p->status == PROBLEM_RESOLVED || p->status == PROBLEM_CLOSED)
		return 0;
	fprintf(out, "- [ ] Problem #%" PRId64 " (%s): ", p->id, problem_status_name(p->status));
	put_md(out, p->title, false);
	fputs(p->root_cause ? "\n" : "; find the root cause\n", out);
	return 0;
}

int incident_postmortem(struct store *st, const struct incident_config *cfg, int64_t id,
			FILE *out, struct err *e)
{
	struct incident inc = { 0 };
	struct pm_problems pp = { out, 0, 0, 0 };
	char d[32];
	int n_actions = 0;
	int rc = -1;

	if (incident_get(st, id, &inc, e))
		goto out;
	fprintf(out, "# Post-mortem draft: incident #%" PRId64 ": ", inc.id);
	put_md(out, inc.title, false);
	fputs("\n\n_Draft generated by opsdeck from the incident's timeline; times are local._\n\n",
	      out);

	fputs("## Summary\n\n", out);
	fprintf(out, "- Severity: SEV%d (", inc.severity);
	put_md(out, cfg->sev[inc.severity - 1].name, false);
	fputs(")", out);
	if (inc.priority)
		fprintf(out, ", priority P%d", inc.priority);
	fprintf(out, "\n- State: %s\n- Source: %s\n", incident_state_name(inc.state),
		incident_source_name(inc.source));
	fputs("- Opened: ", out);
	put_time(out, inc.opened_at);
	fputs(" by ", out);
	put_md(out, inc.opened_by, false);
	fputs("\n", out);
	put_stamp(out, "Acknowledged", inc.acked_at, inc.opened_at);
	put_stamp(out, "Active", inc.activated_at, inc.opened_at);
	put_stamp(out, "Mitigated", inc.mitigated_at, inc.opened_at);
	put_stamp(out, "Resolved", inc.resolved_at, inc.opened_at);
	put_stamp(out, "Closed", inc.closed_at, inc.opened_at);
	put_stamp(out, "Cancelled", inc.cancelled_at, inc.opened_at);
	put_stamp(out, "Merged", inc.merged_at, inc.opened_at);
	fprintf(out, "- SLA: acknowledge %s, resolve %s\n", inc.ack_sla[0] ? inc.ack_sla : "running",
		inc.resolve_sla[0] ? inc.resolve_sla : "running");
	if (inc.repeat_count > 1)
		fprintf(out, "- Signals folded in: %" PRId64 "\n", inc.repeat_count);
	fprintf(out, "- Escalation level: %s\n", cfg->levels[inc.level >= 1 &&
		inc.level <= (int)cfg->n_levels ? inc.level - 1 : 0].name);
	fputs("- Assignee: ", out);
	put_md(out, inc.assignee ? inc.assignee : "nobody", false);
	fputs("\n- Responders: ", out);
	put_md(out, inc.responders[0] ? inc.responders : "none", false);
	fputs("\n", out);
	if (inc.description) {
		fputs("\n", out);
		put_md(out, inc.description, true);
		fputs("\n", out);
	}
	if (inc.resolution) {
		fputs("\nResolution: ", out);
		put_md(out, inc.resolution, true);
		fputs("\n", out);
	}

	fputs("\n## Impact\n\n", out);
	put_md(out, inc.impact ? inc.impact : "Not recorded yet.", true);
	fputs("\n\nAffected hosts: ", out);
	put_md(out, inc.hosts[0] ? inc.hosts : "none recorded", false);
	if (inc.resolved_at) {
		incident_duration_format(inc.resolved_at - inc.opened_at, d, sizeof d);
		fprintf(out, "\n\nDuration from opening to resolution: %s", d);
	}
	fputs("\n\n## Classification\n\n", out);
	fprintf(out, "%s (%s)\n", incident_class_label(inc.classification),
		incident_class_name(inc.classification));

	fputs("\n## Timeline\n\n| Time | Who | What |\n| --- | --- | --- |\n", out);
	if (incident_events(st, id, 0, 0, pm_event, out, e) < 0)
		goto out;

	fputs("\n## Linked problems\n\n", out);
	if (incident_problems(st, id, pm_problem, &pp, e) < 0)
		goto out;
	if (pp.n == 0)
		fputs("None yet.\n", out);

	fputs("\n## Open actions\n\n", out);
	if (inc.state == INCIDENT_TRIAGE || inc.state == INCIDENT_ACTIVE ||
	    inc.state == INCIDENT_MITIGATED) {
		fprintf(out, "- [ ] Resolve the incident (now %s)\n", incident_state_name(inc.state));
		n_actions++;
	} else if (inc.state == INCIDENT_RESOLVED) {
		fputs("- [ ] Close the incident once the fix is confirmed\n", out);
		n_actions++;
	}
	if (inc.classification == INCIDENT_CLASS_UNKNOWN) {
		fputs("- [ ] Classify the incident\n", out);
		n_actions++;
	}
	if (pp.n == 0) {
		fputs("- [ ] Open or link a problem record for the root cause\n", out);
		n_actions++;
	}
	if (pp.open) {
		if (incident_problems(st, id, pm_action, out, e) < 0)
			goto out;
		n_actions += pp.open;
	}
	if (!n_actions)
		fputs("None.\n", out);
	rc = 0;
out:
	incident_clear(&inc);
	return rc;
}
