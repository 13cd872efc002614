/*
 * cli_incident: `opsdeck incident ...`, the incident queue and its problems for
 * scripts and people at a shell. One table of verbs (problems are the rows named
 * "problem new", "problem list", ...); each verb parses its flags with getopt_long.
 * Verbs that change incidents take several ids, each in its own transaction.
 * Exit codes: 0 done, 1 refused or failed (nothing changed for that id), 2 bad usage.
 */
#define _GNU_SOURCE /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "incident.h"
#include "json.h"
#include "text.h"

#define MAX_MULTI 64

struct inc_args {
	const char *verb; /* the verb's name */
	const char *title, *severity, *cls, *description, *impact, *priority, *state, *reason,
		*note, *to, *into, *problem, *since, *until, *output, *type, *root_cause,
		*workaround, *size, *cost, *time, *criticality, *status, *assignee, *match;
	const char *hosts[MAX_MULTI];
	size_t n_hosts;
	int64_t incidents[MAX_MULTI];
	size_t n_incidents;
	long limit;
	int json;
	int force;
	int n_rest;
	char **rest;
};

enum {
	OPT_TITLE = 1000, OPT_SEVERITY, OPT_CLASS, OPT_HOST, OPT_DESCRIPTION, OPT_IMPACT,
	OPT_PRIORITY, OPT_STATE, OPT_REASON, OPT_NOTE, OPT_TO, OPT_INTO, OPT_PROBLEM, OPT_SINCE,
	OPT_UNTIL, OPT_OUTPUT, OPT_TYPE, OPT_ROOT_CAUSE, OPT_WORKAROUND, OPT_SIZE, OPT_COST,
	OPT_TIME, OPT_CRITICALITY, OPT_STATUS, OPT_INCIDENT, OPT_ASSIGNEE, OPT_MATCH, OPT_LIMIT,
	OPT_JSON, OPT_HELP, OPT_FORCE,
};

static const struct option inc_options[] = {
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "class", required_argument, NULL, OPT_CLASS },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "description", required_argument, NULL, OPT_DESCRIPTION },
	{ "impact", required_argument, NULL, OPT_IMPACT },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "to", required_argument, NULL, OPT_TO },
	{ "into", required_argument, NULL, OPT_INTO },
	{ "problem", required_argument, NULL, OPT_PROBLEM },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "root-cause", required_argument, NULL, OPT_ROOT_CAUSE },
	{ "workaround", required_argument, NULL, OPT_WORKAROUND },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "cost", required_argument, NULL, OPT_COST },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "criticality", required_argument, NULL, OPT_CRITICALITY },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "incident", required_argument, NULL, OPT_INCIDENT },
	{ "assignee", required_argument, NULL, OPT_ASSIGNEE },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ NULL, 0, NULL, 0 },
};

struct run_ctx {
	const struct cli_ctx *c;
	struct store *st;
	const struct incident_config *cfg;
};

struct verb {
	const char *name;
	int (*run)(const struct run_ctx *r, struct inc_args *a, struct err *e);
	const char *allowed; /* long option names this verb takes, space separated */
	int min_rest, max_rest;
	const char *usage;
	/* Verbs that take several ids: the change for one id, in its own transaction,
	 * run by verb_each (run is then NULL). */
	int (*one)(const struct run_ctx *r, struct inc_args *a, int64_t id, struct err *e);
};

/* ---- helpers ---- */

static int parse_id(const char *s, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (!s)
		return -1;
	if (*s == '#')
		s++;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int want_id(const char *s, const char *what, int64_t *out, struct err *e)
{
	if (parse_id(s, out) == 0)
		return 0;
	err_set(e, "'%.64s' is not %s id", s ? s : "", what);
	return -1;
}

/* Prints s sanitised (one line unless multi). NULL prints dflt. */
static void put_clean(FILE *out, const char *s, bool multi, const char *dflt)
{
	char *c = NULL;

	if (!s) {
		fputs(dflt, out);
		return;
	}
	c = text_sanitize_str(s, multi ? TEXT_KEEP_NEWLINES : 0);
	fputs(c ? c : "", out);
	free(c);
}

static void json_clean(FILE *out, const char *key, const char *s, bool multi)
{
	char *c = s ? text_sanitize_str(s, multi ? TEXT_KEEP_NEWLINES : 0) : NULL;

	json_put_key(out, key, 0);
	json_put_string(out, c);
	free(c);
}

static void json_time(FILE *out, const char *key, int64_t ms)
{
	char utc[40];

	json_put_key(out, key, 0);
	if (!ms) {
		fputs("null", out);
		return;
	}
	clock_format_utc(ms, utc, sizeof utc);
	json_put_string(out, utc);
}

static void print_local(FILE *out, int64_t ms)
{
	char local[32];

	clock_format_local(ms, local, sizeof local);
	fputs(local, out);
}

/* "met", "breached", "void", or "12m 30s left" / "overdue 3m 00s" while running. */
static void sla_text(const struct incident *inc, enum incident_clock clock, int64_t now,
		     char *buf, size_t len)
{
	const char *sla = clock == INCIDENT_CLOCK_ACK ? inc->ack_sla : inc->resolve_sla;
	bool running = false;
	int64_t left = incident_sla_left(inc, clock, now, &running);
	char d[32];

	if (sla[0] && strcmp(sla, "breached") != 0) {
		snprintf(buf, len, "%s", sla);
		return;
	}
	incident_duration_format(left < 0 ? -left : left, d, sizeof d);
	if (!running)
		snprintf(buf, len, "%s", sla[0] ? sla : "stopped");
	else if (left >= 0)
		snprintf(buf, len, "%s left", d);
	else
		snprintf(buf, len, "overdue %s", d);
}

/* --state: "open", "all", or a comma list of state names. 0 when unknown. */
static unsigned parse_states(const char *s)
{
	char word[32];
	unsigned mask = 0;

	if (strcmp(s, "open") == 0)
		return INCIDENT_OPEN_MASK;
	if (strcmp(s, "all") == 0)
		return INCIDENT_ALL_MASK;
	while (*s) {
		size_t n = strcspn(s, ",");
		int st;

		if (n == 0 || n >= sizeof word)
			return 0;
		memcpy(word, s, n);
		word[n] = '\0';
		if ((st = incident_state_parse(word)) < 0)
			return 0;
		mask |= INCIDENT_MASK(st);
		s += n;
		if (*s == ',')
			s++;
	}
	return mask;
}

static int parse_priority(const char *s)
{
	if (!s)
		return 0;
	if (*s == 'P' || *s == 'p')
		s++;
	if (s[0] >= '1' && s[0] <= '5' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

/* ---- incident verbs ---- */

static int verb_new(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct incident_new n = { 0 };
	int64_t id = 0;
	int cls = INCIDENT_CLASS_UNKNOWN;

	if (!a->title || !a->severity) {
		err_set(e, "new needs --title and --severity SEV1..SEV4");
		return -2;
	}
	n.title = a->title;
	if ((n.severity = incident_severity_parse(a->severity)) < 0) {
		err_set(e, "unknown severity '%.32s' (SEV1, SEV2, SEV3, SEV4)", a->severity);
		return -2;
	}
	if (a->cls && (cls = incident_class_parse(a->cls)) < 0) {
		err_set(e, "unknown class '%.64s' (code-defect, vulnerability, exploit, user-error, "
			   "capacity, change-induced, external, unknown)", a->cls);
		return -2;
	}
	if ((n.priority = parse_priority(a->priority)) < 0) {
		err_set(e, "unknown priority '%.32s' (P1..P5)", a->priority);
		return -2;
	}
	n.classification = (enum incident_class)cls;
	n.source = INCIDENT_SRC_OPERATOR;
	n.description = a->description;
	n.impact = a->impact;
	n.hosts = a->hosts;
	n.n_hosts = a->n_hosts;
	if (incident_create(r->st, r->cfg, &n, &id, e))
		return -1;
	/* Printed only after the commit. */
	printf("%" PRId64 "\n", id);
	return 0;
}

static void put_incident_json(FILE *out, const struct incident *x, bool full)
{
	putc('{', out);
	json_put_key(out, "id", 1);
	json_put_int(out, x->id, 0);
	json_clean(out, "title", x->title, false);
	json_put_key(out, "severity", 0);
	fprintf(out, "\"SEV%d\"", x->severity);
	json_put_key(out, "priority", 0);
	json_put_int(out, x->priority, !x->priority);
	json_put_key(out, "state", 0);
	json_put_string(out, incident_state_name(x->state));
	json_put_key(out, "classification", 0);
	json_put_string(out, incident_class_name(x->classification));
	json_put_key(out, "source", 0);
	json_put_string(out, incident_source_name(x->source));
	json_clean(out, "assignee", x->assignee, false);
	json_put_key(out, "level", 0);
	json_put_int(out, x->level, 0);
	json_put_key(out, "repeat_count", 0);
	json_put_int(out, x->repeat_count, 0);
	json_put_key(out, "flapping", 0);
	fputs(x->flapping ? "true" : "false", out);
	json_clean(out, "dedup_key", x->dedup_key, false);
	json_time(out, "opened_at", x->opened_at);
	json_time(out, "acked_at", x->acked_at);
	json_time(out, "activated_at", x->activated_at);
	json_time(out, "mitigated_at", x->mitigated_at);
	json_time(out, "resolved_at", x->resolved_at);
	json_time(out, "closed_at", x->closed_at);
	json_time(out, "cancelled_at", x->cancelled_at);
	json_time(out, "merged_at", x->merged_at);
	json_time(out, "ack_due", x->ack_due);
	json_time(out, "resolve_due", x->resolve_due);
	json_put_key(out, "ack_sla", 0);
	json_put_string(out, x->ack_sla[0] ? x->ack_sla : "running");
	json_put_key(out, "resolve_sla", 0);
	json_put_string(out, x->resolve_sla[0] ? x->resolve_sla : "running");
	if (full) {
		json_clean(out, "description", x->description, true);
		json_clean(out, "impact", x->impact, true);
		json_clean(out, "resolution", x->resolution, true);
		json_clean(out, "cancel_reason", x->cancel_reason, true);
		json_put_key(out, "merged_into", 0);
		json_put_int(out, x->merged_into, !x->merged_into);
		json_clean(out, "hosts", x->hosts, false);
		json_clean(out, "responders", x->responders, false);
		json_clean(out, "opened_by", x->opened_by, false);
	} else {
		json_clean(out, "host", x->first_host, false);
		json_put_key(out, "hosts", 0);
		json_put_int(out, x->n_hosts, 0);
	}
}

struct list_ctx {
	int64_t now;
	int json;
	long n;
	struct incident_cursor last;
};

static int list_row(const struct incident *x, void *ud)
{
	struct list_ctx *l = ud;
	char sla[48], opened[32];

	l->last = incident_cursor_of(x);
	if (l->json) {
		fputs(l->n ? ",\n  " : "\n  ", stdout);
		put_incident_json(stdout, x, false);
		putc('}', stdout);
	} else {
		sla_text(x, x->acked_at || x->ack_sla[0] ? INCIDENT_CLOCK_RESOLVE : INCIDENT_CLOCK_ACK,
			 l->now, sla, sizeof sla);
		clock_format_local(x->opened_at, opened, sizeof opened);
		printf("#%-6" PRId64 " SEV%d %-9s %s  %-3s %-16s ", x->id, x->severity,
		       incident_state_name(x->state), opened,
		       x->acked_at || x->ack_sla[0] ? "res" : "ack", sla);
		put_clean(stdout, x->first_host, false, "-");
		if (x->n_hosts > 1)
			printf("+%" PRId64, x->n_hosts - 1);
		fputs("  ", stdout);
		put_clean(stdout, x->title, false, "");
		if (x->flapping)
			fputs("  [flapping]", stdout);
		putc('\n', stdout);
	}
	l->n++;
	return 0;
}

static int verb_list(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct incident_filter f;
	struct list_ctx l = { clock_now_ms(), a->json, 0, { 0, 0, 0 } };
	int got;

	incident_filter_init(&f);
	if (a->state && !(f.states = parse_states(a->state))) {
		err_set(e, "unknown state '%.64s' (open, all, or triage, active, mitigated, resolved,"
			   " closed, cancelled, merged, comma separated)", a->state);
		return -2;
	}
	if (a->severity && (f.severity = incident_severity_parse(a->severity)) < 0) {
		err_set(e, "unknown severity '%.32s' (SEV1, SEV2, SEV3, SEV4)", a->severity);
		return -2;
	}
	if (a->cls && (f.classification = incident_class_parse(a->cls)) < 0) {
		err_set(e, "unknown class '%.64s'", a->cls);
		return -2;
	}
	f.host = a->n_hosts ? a->hosts[0] : NULL;
	f.assignee = a->assignee;
	f.match = a->match;
	if (a->json)
		fputs("[", stdout);
	/* Keyset pages: memory stays one page whatever the queue's size. */
	do {
		int want = 500;

		if (a->limit > 0 && a->limit - l.n < want)
			want = (int)(a->limit - l.n);
		if (want <= 0)
			break;
		got = incident_page(r->st, &f, &l.last, INCIDENT_FORWARD, want, list_row, &l, e);
		if (got < 0)
			return -1;
		if (got < want)
			break;
	} while (1);
	if (a->json)
		fputs(l.n ? "\n]\n" : "]\n", stdout);
	return 0;
}

struct show_ctx {
	int json;
	int n;
};

static int show_event(const struct incident_event *ev, void *ud)
{
	struct show_ctx *s = ud;

	if (s->json) {
		fputs(s->n ? ",\n    {" : "\n    {", stdout);
		json_put_key(stdout, "id", 1);
		json_put_int(stdout, ev->id, 0);
		json_time(stdout, "time", ev->ts);
		json_put_key(stdout, "ts_ms", 0);
		json_put_int(stdout, ev->ts, 0);
		json_clean(stdout, "actor", ev->actor, false);
		json_put_key(stdout, "automatic", 0);
		fputs(ev->automatic ? "true" : "false", stdout);
		json_clean(stdout, "kind", ev->kind, false);
		json_clean(stdout, "from", ev->from_state, false);
		json_clean(stdout, "to", ev->to_state, false);
		json_clean(stdout, "text", ev->text, true);
		json_put_key(stdout, "log_id", 0);
		json_put_int(stdout, ev->log_id, !ev->log_id);
		putc('}', stdout);
	} else {
		print_local(stdout, ev->ts);
		fputs("  ", stdout);
		put_clean(stdout, ev->actor, false, "");
		fputs(ev->automatic ? " (auto)  " : "  ", stdout);
		put_clean(stdout, ev->kind, false, "");
		if (ev->text) {
			fputs(": ", stdout);
			put_clean(stdout, ev->text, false, "");
		}
		putc('\n', stdout);
	}
	s->n++;
	return 0;
}

static int show_problem(const struct problem *p, void *ud)
{
	struct show_ctx *s = ud;

	if (s->json) {
		if (s->n)
			putc(',', stdout);
		json_put_int(stdout, p->id, 0);
	} else {
		printf("problem   #%" PRId64 " (%s, %s) ", p->id, problem_type_name(p->type),
		       problem_status_name(p->status));
		put_clean(stdout, p->title, false, "");
		putc('\n', stdout);
	}
	s->n++;
	return 0;
}

static int verb_show(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct incident x;
	struct show_ctx sc = { a->json, 0 };
	int64_t id = 0, now = clock_now_ms();
	char ack[48], res[48];
	const struct incident_level_cfg *lv = NULL;
	int rc = -1;

	if (want_id(a->rest[0], "an incident", &id, e) || incident_get(r->st, id, &x, e))
		return -1;
	if (a->json) {
		put_incident_json(stdout, &x, true);
		fputs(",\"timeline\":[", stdout);
		if (incident_events(r->st, id, 0, 0, show_event, &sc, e) < 0)
			goto out;
		fputs(sc.n ? "\n  ],\"problems\":[" : "],\"problems\":[", stdout);
		sc.n = 0;
		if (incident_problems(r->st, id, show_problem, &sc, e) < 0)
			goto out;
		fputs("]}\n", stdout);
		rc = 0;
		goto out;
	}
	lv = &r->cfg->levels[x.level >= 1 && x.level <= (int)r->cfg->n_levels ? x.level - 1 : 0];
	sla_text(&x, INCIDENT_CLOCK_ACK, now, ack, sizeof ack);
	sla_text(&x, INCIDENT_CLOCK_RESOLVE, now, res, sizeof res);
	printf("incident  #%" PRId64 "  SEV%d (", x.id, x.severity);
	put_clean(stdout, r->cfg->sev[x.severity - 1].name, false, "");
	printf(")%s", x.priority ? "  priority " : "");
	if (x.priority)
		printf("P%d", x.priority);
	fputs("\ntitle     ", stdout);
	put_clean(stdout, x.title, false, "");
	printf("\nstate     %s\nclass     %s (%s)\nsource    %s\nopened    ", incident_state_name(x.state),
	       incident_class_name(x.classification), incident_class_label(x.classification),
	       incident_source_name(x.source));
	print_local(stdout, x.opened_at);
	fputs(" by ", stdout);
	put_clean(stdout, x.opened_by, false, "");
	fputs("\nack SLA   due ", stdout);
	print_local(stdout, x.ack_due);
	printf(", %s\nresolve   due ", ack);
	print_local(stdout, x.resolve_due);
	printf(", %s\nlevel     %s (", res, lv->name);
	put_clean(stdout, lv->group, false, "");
	fputs(")\nassignee  ", stdout);
	put_clean(stdout, x.assignee, false, "-");
	fputs("\nresponders ", stdout);
	put_clean(stdout, x.responders[0] ? x.responders : NULL, false, "-");
	fputs("\nhosts     ", stdout);
	put_clean(stdout, x.hosts[0] ? x.hosts : NULL, false, "-");
	putc('\n', stdout);
	if (x.dedup_key) {
		fputs("dedup     ", stdout);
		put_clean(stdout, x.dedup_key, false, "");
		printf(" (%" PRId64 " signals%s)\n", x.repeat_count, x.flapping ? ", flapping" : "");
	}
	if (x.merged_into)
		printf("merged    into #%" PRId64 "\n", x.merged_into);
	if (x.impact) {
		fputs("impact    ", stdout);
		put_clean(stdout, x.impact, true, "");
		putc('\n', stdout);
	}
	if (x.description) {
		fputs("description\n  ", stdout);
		put_clean(stdout, x.description, true, "");
		putc('\n', stdout);
	}
	if (x.resolution) {
		fputs("resolution ", stdout);
		put_clean(stdout, x.resolution, true, "");
		putc('\n', stdout);
	}
	if (x.cancel_reason) {
		fputs("cancelled because ", stdout);
		put_clean(stdout, x.cancel_reason, true, "");
		putc('\n', stdout);
	}
	if (incident_problems(r->st, id, show_problem, &sc, e) < 0)
		goto out;
	sc.n = 0;
	fputs("\ntimeline:\n", stdout);
	if (incident_events(r->st, id, 0, 0, show_event, &sc, e) < 0)
		goto out;
	rc = 0;
out:
	incident_clear(&x);
	return rc;
}

static int one_ack(const struct run_ctx *r, struct inc_args *a, int64_t id, struct err *e)
{
	(void)a;
	if (incident_ack(r->st, id, e))
		return -1;
	printf("incident #%" PRId64 " acknowledged\n", id);
	return 0;
}

/* The transitions: each verb is named after its action in the lifecycle table.
 * Checks that need no incident come first, so a bad call changes nothing. */
static int check_transition(struct inc_args *a, int64_t *into, struct err *e)
{
	int act = incident_action_parse(a->verb);

	if (act < 0) {
		err_set(e, "'%s' is not an action", a->verb);
		return -1;
	}
	if (act == INCIDENT_ACT_MERGE && (!a->into || want_id(a->into, "an incident", into, e))) {
		if (!a->into)
			err_set(e, "merge needs --into ID");
		return -2;
	}
	if (act == INCIDENT_ACT_RESOLVE && !a->note) {
		err_set(e, "resolving needs a resolution note (--note N)");
		return -2;
	}
	if (act == INCIDENT_ACT_CANCEL && !a->reason) {
		err_set(e, "cancelling needs --reason R");
		return -2;
	}
	return act;
}

static int one_transition(const struct run_ctx *r, struct inc_args *a, int64_t id, struct err *e)
{
	struct incident x;
	const char *text = a->note ? a->note : a->reason;
	int64_t into = 0;
	int act = check_transition(a, &into, e);

	if (act < 0)
		return act;
	if (incident_apply(r->st, id, (enum incident_action)act, text, into, e) ||
	    incident_get(r->st, id, &x, e))
		return -1;
	printf("incident #%" PRId64 " %s\n", id, incident_state_name(x.state));
	incident_clear(&x);
	return 0;
}

/* The words after the id, joined with spaces. The caller frees. */
static char *join_rest(struct inc_args *a, int from)
{
	size_t len = 1;
	char *s = NULL;

	for (int i = from; i < a->n_rest; i++)
		len += strlen(a->rest[i]) + 1;
	if (!(s = calloc(1, len)))
		return NULL;
	for (int i = from; i < a->n_rest; i++) {
		if (i > from)
			strcat(s, " ");
		strcat(s, a->rest[i]);
	}
	return s;
}

static int verb_note(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	int64_t id = 0;
	char *text = NULL;
	int rc = -1;

	if (want_id(a->rest[0], "an incident", &id, e))
		return -1;
	if (!(text = join_rest(a, 1))) {
		err_set(e, "out of memory");
		return -1;
	}
	if (incident_note(r->st, id, text, e) == 0) {
		printf("incident #%" PRId64 " noted\n", id);
		rc = 0;
	}
	free(text);
	return rc;
}

/* assign ID... --to USER, or assign ID... USER (the last word, when it is no id). */
static const char *assignee_of(const struct inc_args *a)
{
	int64_t id = 0;

	if (a->to)
		return a->to;
	if (a->n_rest >= 2 && parse_id(a->rest[a->n_rest - 1], &id) != 0)
		return a->rest[a->n_rest - 1];
	return NULL;
}

static int one_assign(const struct run_ctx *r, struct inc_args *a, int64_t id, struct err *e)
{
	const char *who = assignee_of(a);

	if (!who) {
		err_set(e, "assign needs a user: --to USER, or the name after the ids");
		return -2;
	}
	if (incident_assign(r->st, id, who, e))
		return -1;
	printf("incident #%" PRId64 " assigned\n", id);
	return 0;
}

static int one_edit(const struct run_ctx *r, struct inc_args *a, int64_t id, struct err *e)
{
	if (!a->title) {
		err_set(e, "edit needs --title T");
		return -2;
	}
	if (incident_set_title(r->st, id, a->title, e))
		return -1;
	printf("incident #%" PRId64 " retitled\n", id);
	return 0;
}

/*
 * Runs v's change for every id given, each in its own transaction: one line per
 * id, a refusal on stderr naming the id, the others still done. Exit 1 when any
 * was refused; a usage problem (-2) stops before anything is changed.
 */
static int verb_each(const struct run_ctx *r, const struct verb *v, struct inc_args *a,
		     struct err *e)
{
	int64_t ids[MAX_MULTI];
	int n = a->n_rest, failed = 0;

	/* assign's user, given as the last word, is no id. */
	if (v->one == one_assign && !a->to && n >= 2 && assignee_of(a))
		n--;
	if (n > MAX_MULTI) {
		err_set(e, "at most %d incidents at once", MAX_MULTI);
		return -2;
	}
	for (int i = 0; i < n; i++)
		if (want_id(a->rest[i], "an incident", &ids[i], e))
			return -2;
	for (int i = 0; i < n; i++) {
		struct err one = { { 0 } };
		int r1 = v->one(r, a, ids[i], &one);

		if (r1 == -2) {
			snprintf(e->msg, sizeof e->msg, "%s", one.msg);
			return -2;
		}
		if (r1 < 0) {
			fprintf(stderr, "%s incident %s: %s\n", r->c->prog, v->name, one.msg);
			failed++;
		}
	}
	return failed ? 1 : 0;
}

static int verb_escalate(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct incident x;
	int64_t id = 0;

	if (!a->reason) {
		err_set(e, "escalate needs --reason R");
		return -2;
	}
	if (want_id(a->rest[0], "an incident", &id, e) ||
	    incident_escalate(r->st, r->cfg, id, a->reason, e) || incident_get(r->st, id, &x, e))
		return -1;
	printf("incident #%" PRId64 " escalated to %s (", id, r->cfg->levels[x.level - 1].name);
	put_clean(stdout, r->cfg->levels[x.level - 1].group, false, "");
	fputs(")\n", stdout);
	incident_clear(&x);
	return 0;
}

static int verb_classify(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	int64_t id = 0;
	int cls;

	if (!a->cls || (cls = incident_class_parse(a->cls)) < 0) {
		err_set(e, "classify needs --class (code-defect, vulnerability, exploit, user-error, "
			   "capacity, change-induced, external, unknown)");
		return -2;
	}
	if (want_id(a->rest[0], "an incident", &id, e) ||
	    incident_classify(r->st, id, (enum incident_class)cls, e))
		return -1;
	printf("incident #%" PRId64 " classified %s\n", id, incident_class_name(cls));
	return 0;
}

static int verb_link(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	int64_t id = 0, pid = 0;

	if (!a->problem) {
		err_set(e, "link needs --problem P");
		return -2;
	}
	if (want_id(a->rest[0], "an incident", &id, e) || want_id(a->problem, "a problem", &pid, e) ||
	    incident_link_problem(r->st, id, pid, e))
		return -1;
	printf("incident #%" PRId64 " linked to problem #%" PRId64 "\n", id, pid);
	return 0;
}

static void print_breach(const struct incident_breach *b, void *ud)
{
	(void)ud;
	printf("incident #%" PRId64 " SEV%d: %s SLA breached: ", b->id, b->severity,
	       b->clock == INCIDENT_CLOCK_ACK ? "acknowledge" : "resolve");
	put_clean(stdout, b->title, false, "");
	putc('\n', stdout);
}

static int verb_check(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	int64_t now = clock_now_ms();
	int nb, ne;

	(void)a;
	if ((nb = incident_sla_check(r->st, r->cfg, now, print_breach, NULL, e)) < 0 ||
	    (ne = incident_escalation_check(r->st, r->cfg, now, e)) < 0)
		return -1;
	printf("%d SLA breach%s, %d escalation%s\n", nb, nb == 1 ? "" : "es", ne, ne == 1 ? "" : "s");
	return 0;
}

static int verb_report(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct incident_report rep;
	int64_t until = clock_now_ms(), since = 0;

	if (a->until && clock_parse(a->until, &until)) {
		err_set(e, "--until '%.100s' is not a time (YYYY-MM-DD[ HH:MM[:SS]][Z], -2h, -7d, now)",
			a->until);
		return -2;
	}
	since = until - 30LL * 86400000;
	if (a->since && clock_parse(a->since, &since)) {
		err_set(e, "--since '%.100s' is not a time (YYYY-MM-DD[ HH:MM[:SS]][Z], -2h, -7d, now)",
			a->since);
		return -2;
	}
	if (since >= until) {
		err_set(e, "--since must be before --until");
		return -2;
	}
	if (incident_report_build(r->st, since, until, &rep, e))
		return -1;
	if (a->json)
		incident_report_json(&rep, stdout);
	else
		incident_report_print(&rep, r->cfg, stdout);
	return 0;
}

/* Writes the post-mortem to path through a temporary file and a rename. */
static int postmortem_file(const struct run_ctx *r, int64_t id, const char *path, bool force,
			   struct err *e)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd = -1, rc = -1;

	if (!(tmp = malloc(strlen(path) + 16))) {
		err_set(e, "out of memory");
		goto out;
	}
	sprintf(tmp, "%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (incident_postmortem(r->st, r->cfg, id, f, e))
		goto out;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) {
		f = NULL;
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	f = NULL;
	/* Without --force an existing file is never replaced, not even by a race. */
	if (force ? rename(tmp, path) != 0 : renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
		if (errno == EEXIST)
			err_set(e, "%s exists: use --force to replace it", path);
		else
			err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int verb_postmortem(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	int64_t id = 0;

	if (want_id(a->rest[0], "an incident", &id, e))
		return -1;
	if (a->output) {
		if (postmortem_file(r, id, a->output, a->force, e))
			return -1;
		fprintf(stderr, "post-mortem draft written to %s\n", a->output);
		return 0;
	}
	return incident_postmortem(r->st, r->cfg, id, stdout, e) ? -1 : 0;
}

/* ---- problem verbs ---- */

static int verb_problem_new(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct problem_new n = { 0 };
	int64_t pid = 0;
	int v;

	if (!a->title || !a->type) {
		err_set(e, "problem new needs --title and --type (corrective, preventive, adaptive, "
			   "improvement)");
		return -2;
	}
	if ((v = problem_type_parse(a->type)) < 0) {
		err_set(e, "unknown problem type '%.32s' (corrective, preventive, adaptive, "
			   "improvement)", a->type);
		return -2;
	}
	n.type = (enum problem_type)v;
	if (a->criticality && (n.criticality = problem_criticality_parse(a->criticality)) < 0) {
		err_set(e, "unknown criticality '%.64s' (performance, safety, security, comma "
			   "separated)", a->criticality);
		return -2;
	}
	n.title = a->title;
	n.description = a->description;
	n.root_cause = a->root_cause;
	n.workaround = a->workaround;
	n.scope_size = a->size;
	n.scope_cost = a->cost;
	n.scope_time = a->time;
	n.incidents = a->incidents;
	n.n_incidents = a->n_incidents;
	if (problem_create(r->st, &n, &pid, e))
		return -1;
	printf("%" PRId64 "\n", pid);
	return 0;
}

static void put_problem_json(const struct problem *p)
{
	char crit[64];

	putc('{', stdout);
	json_put_key(stdout, "id", 1);
	json_put_int(stdout, p->id, 0);
	json_clean(stdout, "title", p->title, false);
	json_put_key(stdout, "type", 0);
	json_put_string(stdout, problem_type_name(p->type));
	json_put_key(stdout, "status", 0);
	json_put_string(stdout, problem_status_name(p->status));
	json_put_key(stdout, "criticality", 0);
	json_put_string(stdout, problem_criticality_format(p->criticality, crit, sizeof crit));
	json_clean(stdout, "root_cause", p->root_cause, true);
	json_clean(stdout, "workaround", p->workaround, true);
	json_clean(stdout, "description", p->description, true);
	json_clean(stdout, "scope_size", p->scope_size, false);
	json_clean(stdout, "scope_cost", p->scope_cost, false);
	json_clean(stdout, "scope_time", p->scope_time, false);
	json_time(stdout, "created_at", p->created_at);
	json_time(stdout, "updated_at", p->updated_at);
	json_clean(stdout, "created_by", p->created_by, false);
	if (p->incidents) {
		json_put_key(stdout, "incidents", 0);
		printf("[%s]", p->incidents);
	}
	putc('}', stdout);
}

static int problem_row(const struct problem *p, void *ud)
{
	struct show_ctx *s = ud;

	if (s->json) {
		fputs(s->n ? ",\n  " : "\n  ", stdout);
		put_problem_json(p);
	} else {
		printf("#%-6" PRId64 " %-11s %-13s ", p->id, problem_type_name(p->type),
		       problem_status_name(p->status));
		put_clean(stdout, p->title, false, "");
		putc('\n', stdout);
	}
	s->n++;
	return 0;
}

static int verb_problem_list(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct show_ctx s = { a->json, 0 };

	if (a->json)
		fputs("[", stdout);
	if (problem_list(r->st, 0, a->limit > 0 ? (int)a->limit : 0, problem_row, &s, e) < 0)
		return -1;
	if (a->json)
		fputs(s.n ? "\n]\n" : "]\n", stdout);
	return 0;
}

static int verb_problem_show(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct problem p;
	char crit[64];
	int64_t pid = 0;

	if (want_id(a->rest[0], "a problem", &pid, e) || problem_get(r->st, pid, &p, e))
		return -1;
	if (a->json) {
		put_problem_json(&p);
		putc('\n', stdout);
		problem_clear(&p);
		return 0;
	}
	printf("problem   #%" PRId64 "\ntitle     ", p.id);
	put_clean(stdout, p.title, false, "");
	printf("\ntype      %s\nstatus    %s\ncritical  %s\nscope     size ", problem_type_name(p.type),
	       problem_status_name(p.status),
	       p.criticality ? problem_criticality_format(p.criticality, crit, sizeof crit) : "-");
	put_clean(stdout, p.scope_size, false, "-");
	fputs(", cost ", stdout);
	put_clean(stdout, p.scope_cost, false, "-");
	fputs(", time ", stdout);
	put_clean(stdout, p.scope_time, false, "-");
	fputs("\nroot cause ", stdout);
	put_clean(stdout, p.root_cause, true, "-");
	fputs("\nworkaround ", stdout);
	put_clean(stdout, p.workaround, true, "-");
	printf("\nincidents %s\ncreated   ", p.incidents[0] ? p.incidents : "-");
	print_local(stdout, p.created_at);
	fputs(" by ", stdout);
	put_clean(stdout, p.created_by, false, "");
	putc('\n', stdout);
	if (p.description) {
		fputs("description\n  ", stdout);
		put_clean(stdout, p.description, true, "");
		putc('\n', stdout);
	}
	problem_clear(&p);
	return 0;
}

static int verb_problem_set(const struct run_ctx *r, struct inc_args *a, struct err *e)
{
	struct problem_update u = { .status = -1, .criticality = -1 };
	int64_t pid = 0;

	if (a->status && (u.status = problem_status_parse(a->status)) < 0) {
		err_set(e, "unknown status '%.32s' (open, investigating, known-error, resolved, "
			   "closed)", a->status);
		return -2;
	}
	if (a->criticality && (u.criticality = problem_criticality_parse(a->criticality)) < 0) {
		err_set(e, "unknown criticality '%.64s' (performance, safety, security)",
			a->criticality);
		return -2;
	}
	u.root_cause = a->root_cause;
	u.workaround = a->workaround;
	u.scope_size = a->size;
	u.scope_cost = a->cost;
	u.scope_time = a->time;
	if (want_id(a->rest[0], "a problem", &pid, e) || problem_update(r->st, pid, &u, e))
		return -1;
	printf("problem #%" PRId64 " updated\n", pid);
	return 0;
}

static const struct verb verbs[] = {
	{ "new", verb_new, "title severity class host description impact priority", 0, 0,
	  "incident new --title T --severity SEV1..SEV4 [--class C] [--host H]... [--description D]"
	  " [--impact I] [--priority P1..P5]", NULL },
	{ "list", verb_list, "state severity class host assignee match limit json", 0, 0,
	  "incident list [--state open|all|S[,S]] [--severity S] [--class C] [--host H]"
	  " [--assignee U] [--match TEXT] [--limit N] [--json]", NULL },
	{ "show", verb_show, "json", 1, 1, "incident show ID [--json]", NULL },
	{ "ack", NULL, "", 1, -1, "incident ack ID...", one_ack },
	{ "activate", NULL, "note", 1, -1, "incident activate ID... [--note N]", one_transition },
	{ "mitigate", NULL, "note", 1, -1, "incident mitigate ID... [--note N]", one_transition },
	{ "resolve", NULL, "note", 1, -1,
	  "incident resolve ID... --note N   (an active incident is mitigated with it)", one_transition },
	{ "close", NULL, "note", 1, -1, "incident close ID... [--note N]", one_transition },
	{ "cancel", NULL, "reason", 1, -1, "incident cancel ID... --reason R", one_transition },
	{ "merge", NULL, "into note", 1, -1, "incident merge ID... --into ID2", one_transition },
	{ "regress", NULL, "reason note", 1, -1, "incident regress ID... [--reason R]", one_transition },
	{ "reopen", NULL, "reason note", 1, -1, "incident reopen ID... [--reason R]", one_transition },
	{ "note", verb_note, "", 2, -1, "incident note ID TEXT...", NULL },
	{ "assign", NULL, "to", 1, -1, "incident assign ID... --to USER | assign ID... USER", one_assign },
	{ "edit", NULL, "title", 1, 1, "incident edit ID --title T", one_edit },
	{ "escalate", verb_escalate, "reason", 1, 1, "incident escalate ID --reason R", NULL },
	{ "classify", verb_classify, "class", 1, 1, "incident classify ID --class C", NULL },
	{ "link", verb_link, "problem", 1, 1, "incident link ID --problem P", NULL },
	{ "check", verb_check, "", 0, 0,
	  "incident check                 (SLA breaches and escalations due now; the console runs it"
	  " on a timer)", NULL },
	{ "report", verb_report, "since until json", 0, 0,
	  "incident report [--since T] [--until T] [--json]   (default: the last 30 days)", NULL },
	{ "postmortem", verb_postmortem, "output force", 1, 1,
	  "incident postmortem ID [--output FILE [--force]]", NULL },
	{ "problem new", verb_problem_new,
	  "title type description root-cause workaround size cost time criticality incident", 0, 0,
	  "incident problem new --title T --type corrective|preventive|adaptive|improvement"
	  " [--incident ID]... [--description D] [--root-cause R] [--workaround W] [--size S]"
	  " [--cost C] [--time T] [--criticality performance,safety,security]", NULL },
	{ "problem list", verb_problem_list, "limit json", 0, 0,
	  "incident problem list [--limit N] [--json]", NULL },
	{ "problem show", verb_problem_show, "json", 1, 1, "incident problem show P [--json]", NULL },
	{ "problem set", verb_problem_set,
	  "status root-cause workaround size cost time criticality", 1, 1,
	  "incident problem set P [--status open|investigating|known-error|resolved|closed]"
	  " [--root-cause R] [--workaround W] [--size S] [--cost C] [--time T] [--criticality L]", NULL },
};

static void inc_usage(FILE *out, const char *prog)
{
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		fprintf(out, "%s %s %s\n", i ? "      " : "usage:", prog, verbs[i].usage);
	fprintf(out,
		"\nlifecycle: triage -activate-> active -mitigate-> mitigated -resolve-> resolved"
		" -close-> closed\n"
		"           cancel (triage, active), merge (triage, active), regress (mitigated ->"
		" active),\n"
		"           reopen (resolved -> active); ack in triage or active, once\n"
		"classes: code-defect vulnerability exploit user-error capacity change-induced"
		" external unknown\n"
		"times: YYYY-MM-DD[ HH:MM[:SS]] (local) or ...Z (UTC), -30m, -2h, -7d, now\n"
		"SLA targets and escalation levels: incidents.yaml in the config folder"
		" (opsdeck paths)\n");
}

static int allowed(const struct verb *v, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = v->allowed; (p = strstr(p, name)); p += n)
		if ((p == v->allowed || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Returns 0, 1 for --help (done), -1 for bad usage (message printed). */
static int parse_args(const struct cli_ctx *c, const struct verb *v, int argc, char **argv,
		      struct inc_args *a)
{
	int opt, idx;
	char *end = NULL;

	memset(a, 0, sizeof *a);
	a->verb = v->name;
	optind = 0; /* glibc resets its permutation state */
	opterr = 0;
	while ((idx = -1, opt = getopt_long(argc, argv, ":", inc_options, &idx)) != -1) {
		const char *name = idx >= 0 ? inc_options[idx].name : NULL;

		if (opt == '?' || opt == ':') {
			fprintf(stderr, "%s incident %s: %s option '%s'\n", c->prog, v->name,
				opt == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			return -1;
		}
		if (opt == OPT_HELP) {
			printf("usage: %s %s\n", c->prog, v->usage);
			return 1;
		}
		if (!name || !allowed(v, name)) {
			fprintf(stderr, "%s incident %s: option --%s does not apply here\n", c->prog,
				v->name, name ? name : "?");
			return -1;
		}
		switch (opt) {
		case OPT_TITLE: a->title = optarg; break;
		case OPT_SEVERITY: a->severity = optarg; break;
		case OPT_CLASS: a->cls = optarg; break;
		case OPT_DESCRIPTION: a->description = optarg; break;
		case OPT_IMPACT: a->impact = optarg; break;
		case OPT_PRIORITY: a->priority = optarg; break;
		case OPT_STATE: a->state = optarg; break;
		case OPT_REASON: a->reason = optarg; break;
		case OPT_NOTE: a->note = optarg; break;
		case OPT_TO: a->to = optarg; break;
		case OPT_INTO: a->into = optarg; break;
		case OPT_PROBLEM: a->problem = optarg; break;
		case OPT_SINCE: a->since = optarg; break;
		case OPT_UNTIL: a->until = optarg; break;
		case OPT_OUTPUT: a->output = optarg; break;
		case OPT_TYPE: a->type = optarg; break;
		case OPT_ROOT_CAUSE: a->root_cause = optarg; break;
		case OPT_WORKAROUND: a->workaround = optarg; break;
		case OPT_SIZE: a->size = optarg; break;
		case OPT_COST: a->cost = optarg; break;
		case OPT_TIME: a->time = optarg; break;
		case OPT_CRITICALITY: a->criticality = optarg; break;
		case OPT_STATUS: a->status = optarg; break;
		case OPT_ASSIGNEE: a->assignee = optarg; break;
		case OPT_MATCH: a->match = optarg; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_FORCE: a->force = 1; break;
		case OPT_HOST:
			if (a->n_hosts == MAX_MULTI) {
				fprintf(stderr, "%s incident %s: at most %d --host\n", c->prog, v->name,
					MAX_MULTI);
				return -1;
			}
			a->hosts[a->n_hosts++] = optarg;
			break;
		case OPT_INCIDENT:
			if (a->n_incidents == MAX_MULTI || parse_id(optarg, &a->incidents[a->n_incidents])) {
				fprintf(stderr, "%s incident %s: --incident needs an incident id (at most %d)\n",
					c->prog, v->name, MAX_MULTI);
				return -1;
			}
			a->n_incidents++;
			break;
		case OPT_LIMIT:
			errno = 0;
			a->limit = strtol(optarg, &end, 10);
			if (errno || *end || a->limit <= 0 || a->limit > 1000000000L) {
				fprintf(stderr, "%s incident %s: --limit needs a positive number\n",
					c->prog, v->name);
				return -1;
			}
			break;
		}
	}
	a->rest = argv + optind;
	a->n_rest = argc - optind;
	if (a->n_rest < v->min_rest || (v->max_rest >= 0 && a->n_rest > v->max_rest)) {
		fprintf(stderr, "usage: %s %s\n", c->prog, v->usage);
		return -1;
	}
	return 0;
}

/* The verbs that only read (opened read-only). */
static bool cli_incident_reads(const char *name)
{
	static const char *const reads[] = { "list", "show", "report", "problem list",
					     "problem show" };

	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
		if (strcmp(name, reads[i]) == 0)
			return true;
	return false;
}

int cli_incident(const struct cli_ctx *c, int argc, char **argv)
{
	const struct verb *v = NULL;
	struct incident_config cfg;
	struct inc_args a;
	struct store *st = NULL;
	struct err e = { { 0 } };
	char name[64];
	int rc = 2;
	int r;

	/* argv[0] is "incident"; from here on the verb plays that part for getopt. */
	argc--;
	argv++;
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		inc_usage(argc < 1 ? stderr : stdout, c->prog);
		return argc < 1 ? 2 : 0;
	}
	snprintf(name, sizeof name, "%s", argv[0]);
	if (strcmp(argv[0], "problem") == 0) {
		if (argc < 2) {
			fprintf(stderr, "usage: %s incident problem new|list|show|set ...\n", c->prog);
			return 2;
		}
		snprintf(name, sizeof name, "problem %.40s", argv[1]);
		argc--;
		argv++;
	}
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(name, verbs[i].name) == 0)
			v = &verbs[i];
	if (!v) {
		fprintf(stderr, "%s incident: unknown action '%s' (see %s incident --help)\n", c->prog,
			name, c->prog);
		return 2;
	}
	r = parse_args(c, v, argc, argv, &a);
	if (r)
		return r > 0 ? 0 : 2;
	if (incident_config_load(c->paths->incidents_file, &cfg, &e)) {
		fprintf(stderr, "%s incident %s: %s\n", c->prog, v->name, e.msg);
		return 1;
	}
	/* Reading verbs change nothing: a read-only open (an archived copy, read-only media). */
	if ((cli_incident_reads(v->name) ? cli_open_store_read : cli_open_store)(c->paths, &st, &e)) {
		fprintf(stderr, "%s incident %s: %s\n", c->prog, v->name, e.msg);
		return 1;
	}
	{
		const struct run_ctx rc_ = { c, st, &cfg };

		r = v->one ? verb_each(&rc_, v, &a, &e) : v->run(&rc_, &a, &e);
	}
	if (r < 0)
		fprintf(stderr, "%s incident %s: %s\n", c->prog, v->name, e.msg);
	rc = r == -2 ? 2 : (r < 0 ? 1 : r);
	store_close(&st);
	return rc;
}
