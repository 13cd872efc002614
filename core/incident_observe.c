/*
 * incident_observe: automatic opening from observations (a probe, a host, a key):
 * dedup by key, repeat counts and flapping, recoveries noted on the incident.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "incident.h"
#include "incident_internal.h"
#include "mem.h"
#include "shiftlog.h"
#include "store_sql.h"
#include "text.h"

/* ---- automatic opening ---- */

/* The flap state of an open incident with a dedup key. */
struct flap {
	int64_t id;
	char last_signal[16];
	bool flapping;
	int64_t flap_since, flap_changes, last_change_at;
};

/* Finds the open incident with key; 1 found, 0 none, -1 error. */
static int find_open_key(struct store *st, const char *key, struct flap *fl, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	memset(fl, 0, sizeof *fl);
	/* The state list matches incidents_dedup_open's, so the planner uses it. */
	s = store_cached(st, "SELECT id, coalesce(last_signal, ''), flapping, coalesce(flap_since, 0), "
			  "flap_changes, coalesce(last_change_at, 0) FROM incidents WHERE "
			  "dedup_key = ? AND state IN ('triage', 'active', 'mitigated')",
		      STORE_VALS(STORE_TEXT(key)), e);
	if (!s)
		return -1;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		fl->id = sqlite3_column_int64(s, 0);
		snprintf(fl->last_signal, sizeof fl->last_signal, "%s",
			 (const char *)sqlite3_column_text(s, 1));
		fl->flapping = sqlite3_column_int(s, 2) != 0;
		fl->flap_since = sqlite3_column_int64(s, 3);
		fl->flap_changes = sqlite3_column_int64(s, 4);
		fl->last_change_at = sqlite3_column_int64(s, 5);
		rc = 1;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		err_set(e, "%s", sqlite3_errmsg(store_db(st)));
	}
	store_stmt_done(s);
	return rc;
}

/* Folds a signal into the open incident fl (see incident_observe). Returns the outcome. */
static int observe_existing(struct store *st, const struct incident_config *cfg,
			    const struct incident_signal *sig, struct flap *fl, int64_t now,
			    struct err *e)
{
	struct incident inc = { 0 };
	const char *kind = sig->kind == INCIDENT_SIGNAL_PROBLEM ? "problem" : "recovery";
	bool changed = strcmp(fl->last_signal, kind) != 0;
	struct incident_ev ev = { .automatic = true, .log_cat = "alarm" };
	char *what = NULL, *detail = incident_clean_opt(sig->detail, false);
	int outcome = -1;

	if (incident_load_for_change(st, fl->id, now, &inc, e))
		goto out;
	ev.log_sev = incident_log_severity[inc.severity];
	/* A quiet window ends flapping; this signal is then handled as usual. */
	if (fl->flapping && now - fl->last_change_at >= cfg->flap_window_ms) {
		what = incident_asprintf("signals settled after flapping (%" PRId64 " signals so far)",
				 inc.repeat_count);
		ev.kind = "settled";
		ev.text = what;
		ev.what = what;
		ev.log_sev = "notice";
		if (!what || incident_event_add(st, &inc, now, &ev, e))
			goto oom_or_fail;
		free(what);
		what = NULL;
		fl->flapping = false;
		fl->flap_since = 0;
		fl->flap_changes = 0;
	}
	if (changed) {
		if (!fl->flap_since || now - fl->flap_since > cfg->flap_window_ms) {
			fl->flap_since = now;
			fl->flap_changes = 0;
		}
		fl->flap_changes++;
		fl->last_change_at = now;
	}
	if (store_run(st, "UPDATE incidents SET last_signal = ?2, flap_since = ?3, flap_changes = ?4, "
			"last_change_at = ?5, repeat_count = repeat_count + ?6, flapping = ?7 "
			"WHERE id = ?1",
		    STORE_VALS(STORE_INT(fl->id), STORE_TEXT(kind), STORE_OPT(fl->flap_since), STORE_INT(fl->flap_changes),
			  STORE_OPT(fl->last_change_at), STORE_INT(sig->kind == INCIDENT_SIGNAL_PROBLEM),
			  STORE_INT(fl->flapping)), e))
		goto out;
	if (sig->host && *sig->host &&
	    store_run(st, "INSERT OR IGNORE INTO incident_hosts(incident_id, host) VALUES (?, ?)",
		    STORE_VALS(STORE_INT(fl->id), STORE_TEXT(sig->host)), e))
		goto out;
	if (fl->flapping) {
		outcome = INCIDENT_OBS_DAMPED;
		goto out;
	}
	if (changed && fl->flap_changes > cfg->flap_changes) {
		what = incident_asprintf("flapping: %" PRId64 " changes within %" PRId64 " s; further "
				 "signals are counted without events until it settles",
				 fl->flap_changes, cfg->flap_window_ms / 1000);
		ev.kind = "flapping";
		if (!what || store_run(st, "UPDATE incidents SET flapping = 1 WHERE id = ?",
				     STORE_VALS(STORE_INT(fl->id)), e))
			goto oom_or_fail;
		outcome = INCIDENT_OBS_DAMPED;
	} else if (sig->kind == INCIDENT_SIGNAL_PROBLEM) {
		what = incident_asprintf("repeat (signal %" PRId64 ")%s%s", inc.repeat_count + 1,
				 detail ? ": " : "", detail ? detail : "");
		ev.kind = "repeat";
		outcome = INCIDENT_OBS_REPEATED;
	} else {
		what = incident_asprintf("recovered%s%s", detail ? ": " : "", detail ? detail : "");
		ev.kind = "recovered";
		ev.log_sev = "notice";
		outcome = INCIDENT_OBS_RECOVERED;
	}
	ev.text = what;
	ev.what = what;
	if (!what || incident_event_add(st, &inc, now, &ev, e))
		goto oom_or_fail;
	goto out;
oom_or_fail:
	if (!what)
		err_set(e, "out of memory");
	outcome = -1;
out:
	incident_clear(&inc);
	free(what);
	free(detail);
	return outcome;
}

int incident_observe(struct store *st, const struct incident_config *cfg,
		     const struct incident_signal *sig, int64_t *id_out, struct err *e)
{
	struct store_txn t = { 0 };
	struct flap fl;
	int64_t now = clock_now_ms();
	int64_t id = 0;
	int found, outcome = -1;

	if (id_out)
		*id_out = 0;
	if (!sig->dedup_key || !*sig->dedup_key ||
	    (sig->kind != INCIDENT_SIGNAL_PROBLEM && sig->kind != INCIDENT_SIGNAL_RECOVERY)) {
		err_set(e, "a signal needs a dedup key and a kind");
		return -1;
	}
	if (store_txn_begin(st, &t, e))
		return -1;
	found = find_open_key(st, sig->dedup_key, &fl, e);
	if (found < 0)
		goto out;
	if (found) {
		id = fl.id;
		outcome = observe_existing(st, cfg, sig, &fl, now, e);
	} else if (sig->kind == INCIDENT_SIGNAL_RECOVERY) {
		outcome = INCIDENT_OBS_IGNORED;
	} else if (sig->host && incident_host_in_maintenance(st, sig->host, now)) {
		outcome = INCIDENT_OBS_MAINTENANCE;
	} else {
		const char *hosts[1] = { sig->host };
		struct incident_new n = {
			.title = sig->title && *sig->title ? sig->title : sig->dedup_key,
			.severity = sig->severity,
			.source = sig->source,
			.classification = INCIDENT_CLASS_UNKNOWN,
			.hosts = hosts,
			.n_hosts = sig->host && *sig->host ? 1 : 0,
			.dedup_key = sig->dedup_key,
		};

		outcome = incident_create_locked(st, cfg, &n, now, true, &id, e) ? -1 : INCIDENT_OBS_OPENED;
	}
	if (outcome < 0 || store_txn_commit(st, &t, e)) {
		outcome = -1;
		goto out;
	}
	if (id_out)
		*id_out = id;
out:
	store_txn_abort(st, &t);
	return outcome;
}

