/*
 * monitor: schedules probe runs over the fleet and keeps each host's latest
 * results. Results are parsed as they arrive; samples wait in memory until the
 * loop flushes them in one transaction, so a busy round costs one commit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "monitor.h"

struct mhost {
	struct monitor_probe *probes;
	size_t n;
};

struct sample {
	size_t host, probe;
	int64_t ts_ms;
	struct probe_result r;
};

struct monitor {
	struct fleet *fleet;
	const struct inventory *inv;
	struct mhost *hosts;
	size_t n_hosts;
	struct sample *samples;
	size_t n_samples, cap_samples;
	size_t running;
	bool changed;
	/*
	 * No probe that is not running falls due before this (monotonic ms): a lower
	 * bound, lowered whenever a due time is set and made exact by each scan, so
	 * the loop's many ticks between due times cost a comparison, not a scan of
	 * every probe of every host. 0 (as allocated): scan at the first tick.
	 */
	int64_t next_due;
};

/* A probe that is not running got due time t. */
static void due_at(struct monitor *m, int64_t t)
{
	if (t < m->next_due)
		m->next_due = t;
}

/* What a queued fleet command carries back to us. */
struct run {
	struct monitor *m;
	size_t host, probe;
};

static const char *const host_names[] = {
	[MON_PENDING] = "pending",       [MON_OK] = "ok",
	[MON_DEGRADED] = "degraded",     [MON_CRITICAL] = "critical",
	[MON_UNREACHABLE] = "unreachable", [MON_KEY_PROBLEM] = "key problem",
	[MON_AUTH_FAILED] = "auth failed", [MON_DISABLED] = "disabled",
};

const char *monitor_host_name(enum monitor_host s)
{
	return (unsigned)s < sizeof host_names / sizeof host_names[0] ? host_names[s] : "?";
}

static const struct inventory_probe *find_custom(const struct inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->n_probes; i++)
		if (strcmp(inv->probes[i].name, name) == 0)
			return &inv->probes[i];
	return NULL;
}

/* Fills p for probe name on host h; -1 with e set when the name is unknown. */
static int plan_probe(const struct inventory *inv, const struct inventory_host *h,
		      const char *name, struct monitor_probe *p, struct err *e)
{
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->custom = find_custom(inv, name);
	p->def = p->custom ? NULL : probe_builtin(name);
	if (!p->def && !p->custom) {
		err_set(e, "%s:%d:%d: host %s: unknown probe '%s'", inv->file ? inv->file : "inventory",
			h->line, h->col, h->name, name);
		return -1;
	}
	p->limits = probe_limits_for(inv, h, name);
	if (p->custom) {
		p->interval_s = p->custom->interval_s > 0 ? p->custom->interval_s : 60;
		p->timeout_s = p->custom->timeout_s > 0 ? p->custom->timeout_s : 30;
		/* Custom thresholds come from the probe's own definition unless the
		 * thresholds list names it. */
		if (isnan(p->limits.warn))
			p->limits.warn = p->custom->warn;
		if (isnan(p->limits.crit))
			p->limits.crit = p->custom->crit;
	} else {
		p->interval_s = p->def->interval_s > 0 ? p->def->interval_s : 60;
		p->timeout_s = p->def->timeout_s > 0 ? p->def->timeout_s : 30;
	}
	return 0;
}

struct monitor *monitor_new(struct fleet *f, const struct inventory *inv, struct err *e)
{
	struct monitor *m = calloc(1, sizeof *m);

	if (!m)
		goto oom;
	m->fleet = f;
	m->inv = inv;
	m->n_hosts = inv->n_hosts < fleet_count(f) ? inv->n_hosts : fleet_count(f);
	m->hosts = calloc(m->n_hosts ? m->n_hosts : 1, sizeof *m->hosts);
	if (!m->hosts)
		goto oom;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct inventory_host *h = &inv->hosts[i];
		const char *const *names = h->probes ? (const char *const *)h->probes :
						       probe_default_set;
		size_t n = 0;

		while (names[n])
			n++;
		m->hosts[i].probes = calloc(n ? n : 1, sizeof *m->hosts[i].probes);
		if (!m->hosts[i].probes)
			goto oom;
		for (size_t k = 0; k < n; k++) {
			if (plan_probe(inv, h, names[k], &m->hosts[i].probes[k], e)) {
				monitor_free(&m);
				return NULL;
			}
			m->hosts[i].n++;
		}
	}
	return m;
oom:
	err_set(e, "out of memory");
	monitor_free(&m);
	return NULL;
}

void monitor_free(struct monitor **mp)
{
	struct monitor *m = mp ? *mp : NULL;

	if (!m)
		return;
	for (size_t i = 0; m->hosts && i < m->n_hosts; i++) {
		for (size_t k = 0; k < m->hosts[i].n; k++)
			free(m->hosts[i].probes[k].output);
		free(m->hosts[i].probes);
	}
	free(m->hosts);
	free(m->samples);
	free(m);
	*mp = NULL;
}

static void keep_sample(struct monitor *m, size_t host, size_t probe, const struct probe_result *r)
{
	if (m->n_samples == m->cap_samples) {
		size_t cap = m->cap_samples ? m->cap_samples * 2 : 64;
		struct sample *ns = NULL;

		/* Bounded: if the store is unreachable for long, the oldest history goes first. */
		if (cap > 100000) {
			memmove(m->samples, m->samples + 1, (m->n_samples - 1) * sizeof *m->samples);
			m->n_samples--;
		} else if ((ns = realloc(m->samples, cap * sizeof *ns))) {
			m->samples = ns;
			m->cap_samples = cap;
		} else {
			return;
		}
	}
	m->samples[m->n_samples].host = host;
	m->samples[m->n_samples].probe = probe;
	m->samples[m->n_samples].ts_ms = clock_now_ms();
	m->samples[m->n_samples].r = *r;
	m->n_samples++;
}

static void probe_done(void *ud, size_t host, const struct fleet_result *fr)
{
	struct run *run = ud;
	struct monitor *m = run->m;
	struct monitor_probe *p = &m->hosts[run->host].probes[run->probe];
	struct probe_result r;

	(void)host;
	p->running = false;
	m->running--;
	m->changed = true;
	p->due_mono = clock_mono_ms() + (int64_t)p->interval_s * 1000;
	due_at(m, p->due_mono);
	if (fr->error && fr->exit_status < 0) {
		/* No answer from the host: that is the host's state, not the probe's. */
		snprintf(p->error, sizeof p->error, "%s", fr->error);
		free(run);
		return;
	}
	p->error[0] = '\0';
	memset(&r, 0, sizeof r);
	if (p->custom) {
		probe_parse_nagios(fr->out, fr->out_len, fr->exit_status, &r);
		/* Thresholds set in opsdeck apply to the first perfdata value (r.value). */
		if (!isnan(r.value))
			r.state = probe_worst(r.state, probe_classify(r.value, &p->limits));
	} else {
		p->def->parse(fr->out, fr->out_len, fr->exit_status, &p->limits, &r);
	}
	if (fr->truncated && strlen(r.summary) + 12 < sizeof r.summary)
		strcat(r.summary, " (output cut)");
	p->result = r;
	p->have = true;
	p->last_ms = clock_now_ms();
	free(p->output);
	p->output = strdup(fr->out);
	keep_sample(m, run->host, run->probe, &r);
	free(run);
}

/* Queues probe k of host i on the fleet, unless it is already running. */
static void start_probe(struct monitor *m, size_t i, size_t k)
{
	struct monitor_probe *p = &m->hosts[i].probes[k];
	struct run *run = NULL;
	const char *cmd = p->custom ? p->custom->command : p->def->command;

	if (p->running)
		return;
	run = malloc(sizeof *run);
	if (!run)
		return;
	run->m = m;
	run->host = i;
	run->probe = k;
	/* The next attempt is scheduled now too, so a failed queue retries later. */
	p->due_mono = clock_mono_ms() + (int64_t)p->interval_s * 1000;
	if (fleet_run(m->fleet, i, cmd, p->timeout_s * 1000, probe_done, run, NULL) != 0) {
		free(run);
		due_at(m, p->due_mono);
		return;
	}
	p->running = true;
	m->running++;
}

void monitor_run_now(struct monitor *m, size_t host)
{
	for (size_t i = 0; i < m->n_hosts; i++) {
		struct fleet_status st;

		if (host != SIZE_MAX && i != host)
			continue;
		fleet_status(m->fleet, i, &st);
		if (st.state == FLEET_DISABLED)
			continue;
		for (size_t k = 0; k < m->hosts[i].n; k++)
			start_probe(m, i, k);
	}
}

void monitor_tick(struct monitor *m)
{
	int64_t now = clock_mono_ms();
	int64_t next = INT64_MAX;

	if (now < m->next_due)
		return; /* nothing is due yet */
	for (size_t i = 0; i < m->n_hosts; i++) {
		struct mhost *h = &m->hosts[i];
		struct fleet_status st;

		fleet_status(m->fleet, i, &st);
		/* Hosts waiting on a person (key, auth) or retired are not probed; their
		 * probes move on a period, so no deadline stays in the past (a loop that
		 * sleeps until the next deadline would otherwise spin). */
		if (st.state == FLEET_DISABLED || st.state == FLEET_KEY_UNKNOWN ||
		    st.state == FLEET_KEY_CHANGED || st.state == FLEET_KEY_REJECTED ||
		    st.state == FLEET_AUTH_FAILED) {
			for (size_t k = 0; k < h->n; k++)
				if (h->probes[k].due_mono <= now)
					h->probes[k].due_mono =
						now + (int64_t)h->probes[k].interval_s * 1000;
		} else {
			for (size_t k = 0; k < h->n; k++)
				if (!h->probes[k].running && now >= h->probes[k].due_mono)
					start_probe(m, i, k);
		}
		for (size_t k = 0; k < h->n; k++)
			if (!h->probes[k].running && h->probes[k].due_mono < next)
				next = h->probes[k].due_mono;
	}
	m->next_due = next; /* exact again */
}

int64_t monitor_next_deadline(const struct monitor *m)
{
	return m->next_due == INT64_MAX ? -1 : m->next_due;
}

bool monitor_busy(const struct monitor *m)
{
	return m->running > 0;
}

size_t monitor_probes(const struct monitor *m, size_t host, const struct monitor_probe **out)
{
	if (host >= m->n_hosts) {
		*out = NULL;
		return 0;
	}
	*out = m->hosts[host].probes;
	return m->hosts[host].n;
}

enum probe_state monitor_worst(const struct monitor *m, size_t host)
{
	enum probe_state w = PROBE_OK;

	for (size_t k = 0; host < m->n_hosts && k < m->hosts[host].n; k++)
		if (m->hosts[host].probes[k].have)
			w = probe_worst(w, m->hosts[host].probes[k].result.state);
	return w;
}

enum monitor_host monitor_host_state(const struct monitor *m, size_t host)
{
	struct fleet_status st;
	bool any = false;

	fleet_status(m->fleet, host, &st);
	switch (st.state) {
	case FLEET_DISABLED: return MON_DISABLED;
	case FLEET_KEY_UNKNOWN:
	case FLEET_KEY_CHANGED:
	case FLEET_KEY_REJECTED: return MON_KEY_PROBLEM;
	case FLEET_AUTH_FAILED: return MON_AUTH_FAILED;
	case FLEET_DOWN: return MON_UNREACHABLE;
	default: break;
	}
	for (size_t k = 0; host < m->n_hosts && k < m->hosts[host].n; k++)
		any |= m->hosts[host].probes[k].have;
	if (!any)
		return MON_PENDING;
	switch (monitor_worst(m, host)) {
	case PROBE_OK: return MON_OK;
	case PROBE_CRITICAL: return MON_CRITICAL;
	default: return MON_DEGRADED;
	}
}

bool monitor_changed(struct monitor *m)
{
	bool c = m->changed;

	m->changed = false;
	return c;
}

int monitor_flush(struct monitor *m, struct store *st, struct err *e)
{
	size_t n = m->n_samples;

	if (n == 0 || !st)
		return 0;
	if (store_begin(st, e))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = &m->samples[i];

		if (probe_sample_store(st, m->inv->hosts[s->host].name,
				       m->hosts[s->host].probes[s->probe].name, s->ts_ms, &s->r, e)) {
			store_rollback(st);
			return -1;
		}
	}
	if (store_commit(st, e))
		return -1;
	m->n_samples = 0;
	return (int)n;
}
