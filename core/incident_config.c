/*
 * incident_config: loads incidents.yaml (see include/incident_config.h) over the
 * built-in defaults. Top-level keys and the fields of a severity or level are
 * tables, so every message can list what is known.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "incident_config.h"
#include "schema.h"
#include "text.h"
#include "yamlutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

static const struct incident_sev_cfg default_sev[INCIDENT_N_SEV] = {
	{ "Critical", 5 * MIN_MS, 1 * HOUR_MS },
	{ "Major", 15 * MIN_MS, 4 * HOUR_MS },
	{ "Minor", 1 * HOUR_MS, 24 * HOUR_MS },
	{ "Low", 4 * HOUR_MS, 72 * HOUR_MS },
};

static const struct incident_level_cfg default_levels[] = {
	{ "L1", "on-call", 15 * MIN_MS },
	{ "L2", "secondary", 30 * MIN_MS },
	{ "L3", "management", 0 },
};


void incident_config_defaults(struct incident_config *c)
{
	memset(c, 0, sizeof *c);
	memcpy(c->sev, default_sev, sizeof c->sev);
	memcpy(c->levels, default_levels, sizeof default_levels);
	c->n_levels = N_ELEMS(default_levels);
	schema_defaults(&incident_config_schema, c); /* flapping, alert, alert_severity */
}

int incident_duration_parse(const char *s, int64_t *ms)
{
	return schema_duration_parse(s, ms);
}

void incident_duration_format(int64_t ms, char *buf, size_t len)
{
	const char *sign = ms < 0 ? "-" : "";
	int64_t s = (ms < 0 ? -ms : ms) / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%s%" PRId64 "d %" PRId64 "h", sign, s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%s%" PRId64 "h %02" PRId64 "m", sign, s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%s%" PRId64 "m %02" PRId64 "s", sign, s / 60, s % 60);
	else
		snprintf(buf, len, "%s%" PRId64 "s", sign, s);
}

/* ---- loading: every problem is collected; a bad part keeps its default ---- */

struct loader {
	const struct ydoc *doc;
	struct incident_config *c;
	struct schema_diags *d;
};

static void incident_config_problem(struct loader *l, const struct ynode *n,
				    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void incident_config_problem(struct loader *l, const struct ynode *n,
				    const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	schema_diag_at(l->d, false, l->doc, n, "%s", msg);
}

static int want_scalar(struct loader *l, const struct ynode *v, const char *what)
{
	if (v->kind != YNODE_SCALAR) {
		incident_config_problem(l, v, "%s needs a single value", what);
		return -1;
	}
	return 0;
}

static int want_map(struct loader *l, const struct ynode *v, const char *what)
{
	if (v->kind != YNODE_MAP) {
		incident_config_problem(l, v, "%s must be a mapping", what);
		return -1;
	}
	return 0;
}

static int get_duration(struct loader *l, const struct ynode *v, const char *what, bool zero_ok,
			int64_t *out)
{
	int64_t ms = 0;

	if (want_scalar(l, v, what))
		return -1;
	if (incident_duration_parse(v->value, &ms) || (!zero_ok && ms == 0)) {
		incident_config_problem(l, v, "%s must be a duration such as 90s, 15m, 4h or 3d, not '%s'", what,
			v->value);
		return -1;
	}
	*out = ms;
	return 0;
}

/* A short name shown on screen: printable, non-empty, fits dst. */
static int get_name(struct loader *l, const struct ynode *v, const char *what, char *dst,
		    size_t size)
{
	if (want_scalar(l, v, what))
		return -1;
	if (!v->value[0] || strlen(v->value) >= size ||
	    !text_is_clean(v->value, strlen(v->value), 0)) {
		incident_config_problem(l, v, "%s must be printable text of 1 to %zu bytes", what, size - 1);
		return -1;
	}
	snprintf(dst, size, "%s", v->value);
	return 0;
}

/* Fields of one severity: { name, ack, resolve }; a bad field keeps its value. */
static void load_severity(struct loader *l, const struct ynode *m, struct incident_sev_cfg *s)
{
	if (want_map(l, m, "a severity"))
		return;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];

		if (strcmp(k->value, "name") == 0)
			get_name(l, v, "name", s->name, sizeof s->name);
		else if (strcmp(k->value, "ack") == 0)
			get_duration(l, v, "ack", false, &s->ack_ms);
		else if (strcmp(k->value, "resolve") == 0)
			get_duration(l, v, "resolve", false, &s->resolve_ms);
		else
			incident_config_problem(l, k, "unknown severity field '%s' (known: name, ack, resolve)",
				k->value);
	}
}

static void load_severities(const struct schema_entry *se, const struct ydoc *doc,
			    const struct ynode *m, void *target, struct schema_diags *d, void *ctx)
{
	struct loader *l = ctx;

	(void)se;
	(void)doc;
	(void)target;
	(void)d;
	if (want_map(l, m, "severities"))
		return;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i];
		int n = (strncasecmp(k->value, "SEV", 3) == 0 && k->value[3] >= '1' &&
			 k->value[3] <= '4' && k->value[4] == '\0') ? k->value[3] - '0' : 0;

		if (!n) {
			incident_config_problem(l, k, "unknown severity '%s' (known: SEV1, SEV2, SEV3, SEV4)",
				k->value);
			continue;
		}
		load_severity(l, m->kids[i + 1], &l->c->sev[n - 1]);
	}
}

/* One level; 0, or -1 (reported) when it is unusable. */
static int load_level(struct loader *l, const struct ynode *m, struct incident_level_cfg *lv)
{
	bool have_group = false;
	int rc = 0;

	if (want_map(l, m, "an escalation level"))
		return -1;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];

		if (strcmp(k->value, "name") == 0) {
			rc |= get_name(l, v, "name", lv->name, sizeof lv->name);
		} else if (strcmp(k->value, "group") == 0) {
			if (get_name(l, v, "group", lv->group, sizeof lv->group) == 0)
				have_group = true;
			else
				rc = -1;
		} else if (strcmp(k->value, "timeout") == 0) {
			rc |= get_duration(l, v, "timeout", true, &lv->timeout_ms);
		} else {
			incident_config_problem(l, k, "unknown escalation field '%s' (known: name, group, timeout)",
				k->value);
			rc = -1;
		}
	}
	if (!have_group && rc == 0) {
		incident_config_problem(l, m, "an escalation level needs a group");
		rc = -1;
	}
	return rc;
}

/* The levels are one chain: any bad level keeps the default chain (every problem reported). */
static void load_escalation(const struct schema_entry *se, const struct ydoc *doc,
			    const struct ynode *v, void *target, struct schema_diags *d, void *ctx)
{
	struct loader *l = ctx;
	struct incident_level_cfg levels[INCIDENT_MAX_LEVELS];
	int bad = 0;

	(void)se;
	(void)doc;
	(void)target;
	(void)d;
	if (v->kind != YNODE_SEQ || v->n == 0) {
		incident_config_problem(l, v, "escalation must be a list of levels");
		return;
	}
	if (v->n > INCIDENT_MAX_LEVELS) {
		incident_config_problem(l, v->kids[INCIDENT_MAX_LEVELS], "at most %d escalation levels",
			INCIDENT_MAX_LEVELS);
		return;
	}
	memset(levels, 0, sizeof levels);
	for (size_t i = 0; i < v->n; i++) {
		snprintf(levels[i].name, sizeof levels[i].name, "L%zu", i + 1);
		bad |= load_level(l, v->kids[i], &levels[i]);
	}
	if (bad)
		return;
	memcpy(l->c->levels, levels, sizeof levels);
	l->c->n_levels = v->n;
}

static const struct schema_entry flapping_entries[] = {
	{ .name = "window", .type = SCHEMA_DURATION,
	  offsetof(struct incident_config, flap_window_ms), sizeof(int64_t), .min = 1000,
	  .max = 7LL * 24 * 3600 * 1000, .def = "10m",
	  .help = "the span state changes are counted over" },
	{ .name = "changes", .type = SCHEMA_INT, offsetof(struct incident_config, flap_changes),
	  sizeof(int), .min = 1, .max = 1000, .def = "4",
	  .help = "more changes than this within the window: flapping" },
};

static const struct schema flapping_schema = { "flapping", flapping_entries,
					       N_ELEMS(flapping_entries) };

static const struct schema_choice alert_choices[] = {
	{ "bell", INCIDENT_ALERT_BELL }, { "flash", INCIDENT_ALERT_FLASH },
	{ "none", INCIDENT_ALERT_NONE },
};

static const struct schema_choice sev_choices[] = {
	{ "SEV1", 1 }, { "SEV2", 2 }, { "SEV3", 3 }, { "SEV4", 4 },
	{ "1", 1 }, { "2", 2 }, { "3", 3 }, { "4", 4 },
};

static const struct schema_entry incident_entries[] = {
	{ .name = "severities", .type = SCHEMA_MAP, .read = load_severities,
	  .type_doc = "map SEV1..SEV4 of {name, ack, resolve}",
	  .def_doc = "Critical 5m/1h, Major 15m/4h, Minor 1h/24h, Low 4h/72h",
	  .help = "each severity's display name and its acknowledge and resolve targets" },
	{ .name = "escalation", .type = SCHEMA_LIST, .read = load_escalation,
	  .type_doc = "list of {name, group, timeout}",
	  .def_doc = "L1 on-call 15m, L2 secondary 30m, L3 management",
	  .help = "the levels an unacknowledged incident climbs; the last has no timeout" },
	{ .name = "flapping", .type = SCHEMA_MAP, .sub = &flapping_schema,
	  .type_doc = "map {window, changes}", .def_doc = "{ window: 10m, changes: 4 }",
	  .help = "how many state changes within a window make a host flapping" },
	{ .name = "alert", .type = SCHEMA_ENUM, offsetof(struct incident_config, alert),
	  sizeof(int), .choices = alert_choices, .n_choices = N_ELEMS(alert_choices),
	  .def = "bell", .help = "how the console alerts for a new incident" },
	{ .name = "alert_severity", .type = SCHEMA_ENUM,
	  offsetof(struct incident_config, alert_severity), sizeof(int), .choices = sev_choices,
	  .n_choices = N_ELEMS(sev_choices), .def = "SEV2",
	  .help = "alert for new incidents of this severity or worse" },
};

const struct schema incident_config_schema = { "incidents.yaml", incident_entries,
					       N_ELEMS(incident_entries) };

void incident_config_load_diags(const char *path, struct incident_config *c,
				struct schema_diags *d)
{
	struct ydoc doc = {0};
	struct loader l = { &doc, c, d };
	struct err e = {{0}};

	incident_config_defaults(c);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return;
	if (ydoc_load_flags(path, YDOC_KEEP_GOING, &doc, &e) < 0) {
		schema_diags_add(d, false, e.msg);
		goto out;
	}
	schema_doc_problems(&doc, d, false);
	schema_apply(&incident_config_schema, &doc, doc.root, c, d, &l);
	for (size_t i = 0; i < INCIDENT_N_SEV; i++) {
		if (c->sev[i].resolve_ms < c->sev[i].ack_ms) {
			static const char *const names[INCIDENT_N_SEV] = { "SEV1", "SEV2", "SEV3",
									   "SEV4" };
			const struct ynode *at = ynode_get(ynode_get(doc.root, "severities"), names[i]);

			schema_diag_at(d, false, &doc, at ? at : doc.root,
				       "SEV%zu: the resolve target is shorter than the acknowledge "
				       "target", i + 1);
			c->sev[i] = default_sev[i];
		}
	}
out:
	ydoc_free(&doc);
}

int incident_config_load(const char *path, struct incident_config *c, struct err *e)
{
	struct schema_diags d = {0};
	int rc = 0;

	incident_config_load_diags(path, c, &d);
	rc = schema_diags_to_err(&d, e);
	schema_diags_free(&d);
	return rc;
}
