/*
 * autoincident: per-host memory of what was last reported to incident_observe,
 * so the monitor's rounds become signals only on changes. Probes are few per
 * host, so each host keeps a small array searched linearly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoincident.h"
#include "mem.h"

/* Severities of the incidents opened automatically. */
#define SEV_PROBE 2
#define SEV_UNREACHABLE 2
#define SEV_HOSTKEY 1 /* a changed key may be an attack: page at once */

struct ai_probe {
	char name[64];
	bool raised; /* a problem was reported and not yet its recovery */
};

struct ai_host {
	struct ai_probe *probes; /* owned */
	size_t n, cap;
	int64_t failing_since; /* wall ms of the first failure in a row; 0 when not failing */
	bool down_raised;
	bool key_raised;
};

/* Which reported flag of a host: its probes by index, then these two. */
#define SLOT_DOWN (-1)
#define SLOT_KEY (-2)

/* A reported flag flipped inside a batch, put back if the batch's commit fails.
 * By index: a host's probe array may move while the batch runs. */
struct ai_undo {
	size_t host;
	int slot;
	bool was;
};

struct autoincident {
	struct ai_host *hosts; /* owned, n_hosts */
	size_t n_hosts;
	bool batching; /* between autoincident_batch_begin and _end */
	bool in_txn;   /* the batch's transaction is open (begun at its first signal) */
	bool failed;   /* a signal failed inside it: the whole batch is rolled back */
	struct ai_undo *undo; /* owned */
	size_t n_undo, cap_undo;
	size_t scan_next;  /* host the scan under way resumes at */
	bool scan_pending; /* a pass is owed */
	bool scan_again;   /* asked for again during a pass: one more after it */
};

struct autoincident *autoincident_new(size_t n_hosts)
{
	struct autoincident *ai = calloc(1, sizeof *ai);

	if (!ai)
		return NULL;
	ai->hosts = calloc(n_hosts ? n_hosts : 1, sizeof *ai->hosts);
	if (!ai->hosts) {
		free(ai);
		return NULL;
	}
	ai->n_hosts = n_hosts;
	return ai;
}

void autoincident_free(struct autoincident **aip)
{
	struct autoincident *ai = aip ? *aip : NULL;

	if (!ai)
		return;
	for (size_t i = 0; i < ai->n_hosts; i++)
		free(ai->hosts[i].probes);
	free(ai->hosts);
	free(ai->undo);
	free(ai);
	*aip = NULL;
}

/*
 * Sends one signal keyed "name/what". In a batch the first signal opens the
 * batch's transaction; incident_observe then nests in it. Returns 1 when sent,
 * -1 with e set.
 */
static int ai_send(struct autoincident *ai, struct store *st, const struct incident_config *cfg, const char *name,
		const char *what, enum incident_source src, enum incident_signal_kind kind,
		int severity, const char *title, const char *detail, autoincident_fn fn,
		void *ud, struct err *e)
{
	char key[256];
	struct incident_signal sig = {key, src, kind, severity, title, name, detail};
	int64_t id = 0;
	int rc = 0;

	snprintf(key, sizeof key, "%s/%s", name, what);
	if (ai->failed) {
		err_set(e, "not sent: an earlier signal of this batch failed");
		return -1;
	}
	if (ai->batching && !ai->in_txn) {
		if (store_begin(st, e) < 0)
			return -1;
		ai->in_txn = true;
	}
	rc = incident_observe(st, cfg, &sig, &id, e);
	if (rc < 0) {
		/* Part of it may be in the batch's transaction: the batch goes back whole. */
		ai->failed = ai->batching;
		return -1;
	}
	if (fn)
		fn(ud, &sig, (enum incident_observed)rc, id);
	return 1;
}

static bool *flag_of(struct autoincident *ai, size_t host, int slot)
{
	struct ai_host *h = &ai->hosts[host];

	return slot == SLOT_DOWN ? &h->down_raised :
	       slot == SLOT_KEY	 ? &h->key_raised :
				   &h->probes[slot].raised;
}

/* Remembers a flag's value before a batch flips it. -1 when memory runs out. */
static int undo_push(struct autoincident *ai, size_t host, int slot)
{
	struct ai_undo *u = mem_grow(ai->undo, &ai->cap_undo, ai->n_undo, sizeof *u);

	if (!u)
		return -1;
	ai->undo = u;
	ai->undo[ai->n_undo++] = (struct ai_undo){host, slot, *flag_of(ai, host, slot)};
	return 0;
}

/* Flips a host's flag (slot) to want, sending the matching signal; unchanged on failure. */
static int flip(struct autoincident *ai, size_t host, int slot, bool want, struct store *st,
		const struct incident_config *cfg, const char *name, const char *what,
		enum incident_source src, int severity, const char *title, const char *detail,
		autoincident_fn fn, void *ud, struct err *e)
{
	int rc = 0;

	if (*flag_of(ai, host, slot) == want)
		return 0;
	if (ai->batching && undo_push(ai, host, slot) < 0) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = ai_send(ai, st, cfg, name, what, src,
		     want ? INCIDENT_SIGNAL_PROBLEM : INCIDENT_SIGNAL_RECOVERY, severity, title,
		     detail, fn, ud, e);
	if (rc > 0)
		*flag_of(ai, host, slot) = want;
	else if (ai->batching)
		ai->n_undo--;
	return rc;
}

void autoincident_scan_request(struct autoincident *ai)
{
	if (!ai)
		return; /* nothing to scan: never pending */
	if (ai->scan_pending) {
		ai->scan_again = true;
	} else {
		ai->scan_pending = true;
		ai->scan_next = 0;
	}
}

bool autoincident_scan_pending(const struct autoincident *ai)
{
	return ai && ai->scan_pending;
}

size_t autoincident_scan_next(const struct autoincident *ai)
{
	return ai && ai->scan_next < ai->n_hosts ? ai->scan_next : 0;
}

void autoincident_scan_progress(struct autoincident *ai, size_t next)
{
	if (!ai)
		return;
	if (next < ai->n_hosts) {
		ai->scan_next = next;
		return;
	}
	/* A whole pass: done, unless asked for again meanwhile. */
	ai->scan_next = 0;
	ai->scan_pending = ai->scan_again;
	ai->scan_again = false;
}

void autoincident_batch_begin(struct autoincident *ai)
{
	if (!ai)
		return;
	ai->batching = true;
	ai->in_txn = false;
	ai->failed = false;
	ai->n_undo = 0;
}

int autoincident_batch_end(struct autoincident *ai, struct store *st, struct err *e)
{
	int rc = 0;

	if (!ai || !ai->batching)
		return 0;
	ai->batching = false;
	if (ai->in_txn && ai->failed) {
		store_rollback(st);
		err_set(e, "a signal failed; the batch was rolled back");
		rc = -1;
	} else if (ai->in_txn && store_commit(st, e) < 0) {
		rc = -1;
	}
	if (rc < 0) /* nothing of the batch is stored: report its changes again next time */
		for (size_t i = ai->n_undo; i-- > 0;)
			*flag_of(ai, ai->undo[i].host, ai->undo[i].slot) = ai->undo[i].was;
	ai->in_txn = false;
	ai->failed = false;
	ai->n_undo = 0;
	return rc;
}

int autoincident_reach(struct autoincident *ai, struct store *st,
		       const struct incident_config *cfg, size_t host, const char *name,
		       enum autoincident_reach reach, int failures, int64_t now,
		       autoincident_fn fn, void *ud, struct err *e)
{
	struct ai_host *h = NULL;
	char title[200];
	int sent = 0, rc = 0;
	bool down = false;

	if (!ai || host >= ai->n_hosts)
		return 0;
	h = &ai->hosts[host];
	if (reach == AUTOINCIDENT_FAILING) {
		if (!h->failing_since)
			h->failing_since = now;
		/* The grace period: one dropped connection is not an incident. */
		down = failures >= AUTOINCIDENT_GRACE_FAILURES ||
		       now - h->failing_since >= AUTOINCIDENT_GRACE_MS;
	} else if (reach == AUTOINCIDENT_UP) {
		h->failing_since = 0;
	}
	/* AUTOINCIDENT_OTHER (connecting, waiting on a key) keeps what was reported. */
	if (reach == AUTOINCIDENT_FAILING ? down : reach == AUTOINCIDENT_UP) {
		snprintf(title, sizeof title, "%s unreachable", name);
		rc = flip(ai, host, SLOT_DOWN, down, st, cfg, name, "ssh", INCIDENT_SRC_PROBE,
			  SEV_UNREACHABLE, title, down ? "connection failed" : "host is up again",
			  fn, ud, e);
		if (rc < 0)
			return -1;
		sent += rc;
	}
	if (reach == AUTOINCIDENT_KEY_CHANGED || reach == AUTOINCIDENT_UP) {
		bool changed = reach == AUTOINCIDENT_KEY_CHANGED;
		snprintf(title, sizeof title, "%s host key changed", name);
		rc = flip(ai, host, SLOT_KEY, changed, st, cfg, name, "hostkey", INCIDENT_SRC_HOST_KEY,
			  SEV_HOSTKEY, title,
			  changed ? "server offers a different host key" : "trusted key again", fn,
			  ud, e);
		if (rc < 0)
			return -1;
		sent += rc;
	}
	return sent;
}

static struct ai_probe *probe_slot(struct ai_host *h, const char *probe)
{
	struct ai_probe *p = NULL;

	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->probes[i].name, probe) == 0)
			return &h->probes[i];
	p = mem_grow(h->probes, &h->cap, h->n, sizeof *p);
	if (!p)
		return NULL;
	h->probes = p;
	p = &h->probes[h->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", probe);
	return p;
}

int autoincident_probe(struct autoincident *ai, struct store *st,
		       const struct incident_config *cfg, size_t host, const char *name,
		       const char *probe, enum probe_state state, const char *summary,
		       autoincident_fn fn, void *ud, struct err *e)
{
	struct ai_probe *p = NULL;
	char title[200];

	if (!ai || host >= ai->n_hosts)
		return 0;
	/* Only CRITICAL raises and only OK clears: WARNING/UNKNOWN keep the last word. */
	if (state != PROBE_CRITICAL && state != PROBE_OK)
		return 0;
	p = probe_slot(&ai->hosts[host], probe);
	if (!p) {
		err_set(e, "out of memory");
		return -1;
	}
	snprintf(title, sizeof title, "%s: %s critical", name, probe);
	return flip(ai, host, (int)(p - ai->hosts[host].probes), state == PROBE_CRITICAL, st, cfg,
		    name, probe, INCIDENT_SRC_PROBE, SEV_PROBE, title, summary, fn, ud, e);
}
