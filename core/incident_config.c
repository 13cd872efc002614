/*
 * incident_config: loads incidents.yaml (see include/incident_config.h) over the
 * built-in defaults. Top-level keys and the fields of a severity or level are
 * tables, so every message can list what is known.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "incident_config.h"
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

static const struct {
	const char *name;
	enum incident_alert value;
} alert_names[] = { { "none", INCIDENT_ALERT_NONE }, { "bell", INCIDENT_ALERT_BELL },
		    { "flash", INCIDENT_ALERT_FLASH } };

void incident_config_defaults(struct incident_config *c)
{
	memset(c, 0, sizeof *c);
	memcpy(c->sev, default_sev, sizeof c->sev);
	memcpy(c->levels, default_levels, sizeof default_levels);
	c->n_levels = N_ELEMS(default_levels);
	c->flap_window_ms = 10 * MIN_MS;
	c->flap_changes = 4;
	c->alert = INCIDENT_ALERT_BELL;
	c->alert_severity = 2;
}

int incident_duration_parse(const char *s, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 's', 1000 }, { 'm', MIN_MS }, { 'h', HOUR_MS }, { 'd', 24 * HOUR_MS },
		      { 'w', 7 * 24 * HOUR_MS } };
	char *end = NULL;
	long long n;

	if (!s || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || n < 0 || n > 100LL * 365 * 24 * 3600)
		return -1;
	if (*end == '\0') {
		*ms = (int64_t)n * 1000;
		return 0;
	}
	if (end[1] != '\0')
		return -1;
	for (size_t i = 0; i < N_ELEMS(units); i++) {
		if (units[i].unit == *end) {
			*ms = (int64_t)n * units[i].ms;
			return 0;
		}
	}
	return -1;
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

/* ---- loading ---- */

struct loader {
	const struct ydoc *doc;
	struct incident_config *c;
	struct err *e;
};

static int want_scalar(struct loader *l, const struct ynode *v, const char *what)
{
	if (v->kind != YNODE_SCALAR)
		return ydoc_error(l->doc, v, l->e, "%s needs a single value", what);
	return 0;
}

static int want_map(struct loader *l, const struct ynode *v, const char *what)
{
	if (v->kind != YNODE_MAP)
		return ydoc_error(l->doc, v, l->e, "%s must be a mapping", what);
	return 0;
}

static int get_duration(struct loader *l, const struct ynode *v, const char *what, bool zero_ok,
			int64_t *out)
{
	if (want_scalar(l, v, what))
		return -1;
	if (incident_duration_parse(v->value, out) || (!zero_ok && *out == 0))
		return ydoc_error(l->doc, v, l->e,
				  "%s must be a duration such as 90s, 15m, 4h or 3d, not '%s'",
				  what, v->value);
	return 0;
}

/* A short name shown on screen: printable, non-empty, fits dst. */
static int get_name(struct loader *l, const struct ynode *v, const char *what, char *dst,
		    size_t size)
{
	if (want_scalar(l, v, what))
		return -1;
	if (!v->value[0] || strlen(v->value) >= size ||
	    !text_is_clean(v->value, strlen(v->value), 0))
		return ydoc_error(l->doc, v, l->e,
				  "%s must be printable text of 1 to %zu bytes", what, size - 1);
	snprintf(dst, size, "%s", v->value);
	return 0;
}

/* Fields of one severity: { name, ack, resolve }. */
static int load_severity(struct loader *l, const struct ynode *m, struct incident_sev_cfg *s)
{
	if (want_map(l, m, "a severity"))
		return -1;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];

		if (strcmp(k->value, "name") == 0) {
			if (get_name(l, v, "name", s->name, sizeof s->name))
				return -1;
		} else if (strcmp(k->value, "ack") == 0) {
			if (get_duration(l, v, "ack", false, &s->ack_ms))
				return -1;
		} else if (strcmp(k->value, "resolve") == 0) {
			if (get_duration(l, v, "resolve", false, &s->resolve_ms))
				return -1;
		} else {
			return ydoc_error(l->doc, k, l->e,
					  "unknown severity field '%s' (known: name, ack, resolve)",
					  k->value);
		}
	}
	return 0;
}

static int load_severities(struct loader *l, const struct ynode *m)
{
	if (want_map(l, m, "severities"))
		return -1;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i];
		int n = (strncasecmp(k->value, "SEV", 3) == 0 && k->value[3] >= '1' &&
			 k->value[3] <= '4' && k->value[4] == '\0') ? k->value[3] - '0' : 0;

		if (!n)
			return ydoc_error(l->doc, k, l->e,
					  "unknown severity '%s' (known: SEV1, SEV2, SEV3, SEV4)",
					  k->value);
		if (load_severity(l, m->kids[i + 1], &l->c->sev[n - 1]))
			return -1;
	}
	return 0;
}

static int load_level(struct loader *l, const struct ynode *m, struct incident_level_cfg *lv)
{
	bool have_group = false;

	if (want_map(l, m, "an escalation level"))
		return -1;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];

		if (strcmp(k->value, "name") == 0) {
			if (get_name(l, v, "name", lv->name, sizeof lv->name))
				return -1;
		} else if (strcmp(k->value, "group") == 0) {
			if (get_name(l, v, "group", lv->group, sizeof lv->group))
				return -1;
			have_group = true;
		} else if (strcmp(k->value, "timeout") == 0) {
			if (get_duration(l, v, "timeout", true, &lv->timeout_ms))
				return -1;
		} else {
			return ydoc_error(l->doc, k, l->e, "unknown escalation field '%s' "
					  "(known: name, group, timeout)", k->value);
		}
	}
	if (!have_group)
		return ydoc_error(l->doc, m, l->e, "an escalation level needs a group");
	return 0;
}

static int load_escalation(struct loader *l, const struct ynode *v)
{
	if (v->kind != YNODE_SEQ || v->n == 0)
		return ydoc_error(l->doc, v, l->e, "escalation must be a list of levels");
	if (v->n > INCIDENT_MAX_LEVELS)
		return ydoc_error(l->doc, v->kids[INCIDENT_MAX_LEVELS], l->e,
				  "at most %d escalation levels", INCIDENT_MAX_LEVELS);
	memset(l->c->levels, 0, sizeof l->c->levels);
	for (size_t i = 0; i < v->n; i++) {
		snprintf(l->c->levels[i].name, sizeof l->c->levels[i].name, "L%zu", i + 1);
		if (load_level(l, v->kids[i], &l->c->levels[i]))
			return -1;
	}
	l->c->n_levels = v->n;
	return 0;
}

static int load_flapping(struct loader *l, const struct ynode *m)
{
	char *end = NULL;
	long n;

	if (want_map(l, m, "flapping"))
		return -1;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];

		if (strcmp(k->value, "window") == 0) {
			if (get_duration(l, v, "window", false, &l->c->flap_window_ms))
				return -1;
		} else if (strcmp(k->value, "changes") == 0) {
			if (want_scalar(l, v, "changes"))
				return -1;
			errno = 0;
			n = strtol(v->value, &end, 10);
			if (errno || end == v->value || *end || n < 1 || n > 1000)
				return ydoc_error(l->doc, v, l->e,
						  "changes must be from 1 to 1000, not '%s'", v->value);
			l->c->flap_changes = (int)n;
		} else {
			return ydoc_error(l->doc, k, l->e,
					  "unknown flapping field '%s' (known: window, changes)",
					  k->value);
		}
	}
	return 0;
}

static int load_alert(struct loader *l, const struct ynode *v)
{
	if (want_scalar(l, v, "alert"))
		return -1;
	for (size_t i = 0; i < N_ELEMS(alert_names); i++) {
		if (strcasecmp(v->value, alert_names[i].name) == 0) {
			l->c->alert = alert_names[i].value;
			return 0;
		}
	}
	return ydoc_error(l->doc, v, l->e, "alert must be bell, flash or none, not '%s'", v->value);
}

static int load_alert_severity(struct loader *l, const struct ynode *v)
{
	const char *s = v->value;

	if (want_scalar(l, v, "alert_severity"))
		return -1;
	if (strncasecmp(s, "SEV", 3) == 0)
		s += 3;
	if (s[0] < '1' || s[0] > '4' || s[1] != '\0')
		return ydoc_error(l->doc, v, l->e, "alert_severity must be SEV1 to SEV4, not '%s'",
				  v->value);
	l->c->alert_severity = s[0] - '0';
	return 0;
}

static const struct {
	const char *name;
	int (*load)(struct loader *l, const struct ynode *v);
} top_keys[] = {
	{ "severities", load_severities }, { "escalation", load_escalation },
	{ "flapping", load_flapping },     { "alert", load_alert },
	{ "alert_severity", load_alert_severity },
};

int incident_config_load(const char *path, struct incident_config *c, struct err *e)
{
	struct ydoc doc = {0};
	struct loader l = { &doc, c, e };
	const struct ynode *root = NULL;
	int rc = -1;

	incident_config_defaults(c);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (ydoc_load(path, &doc, e) < 0)
		goto out;
	root = doc.root;
	if (root && root->kind != YNODE_MAP) {
		ydoc_error(&doc, root, e, "incidents.yaml must be a mapping of settings");
		goto out;
	}
	for (size_t i = 0; root && i + 1 < root->n; i += 2) {
		const struct ynode *k = root->kids[i];
		size_t j = 0;

		while (j < N_ELEMS(top_keys) && strcmp(top_keys[j].name, k->value) != 0)
			j++;
		if (j == N_ELEMS(top_keys)) {
			ydoc_error(&doc, k, e, "unknown setting '%s' (known: severities, escalation, "
				   "flapping, alert, alert_severity)", k->value);
			goto out;
		}
		if (top_keys[j].load(&l, root->kids[i + 1]))
			goto out;
	}
	for (size_t i = 0; i < INCIDENT_N_SEV; i++) {
		if (c->sev[i].resolve_ms < c->sev[i].ack_ms) {
			ydoc_error(&doc, root, e, "SEV%zu: the resolve target is shorter than the "
				   "acknowledge target", i + 1);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc)
		incident_config_defaults(c);
	ydoc_free(&doc);
	return rc;
}
