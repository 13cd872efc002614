/*
 * monitor: probe rounds over the fleet. It knows which probes each host runs and
 * when they are due, runs them through the fleet (one persistent session per
 * host, a channel per probe), parses the results with the probe module, keeps
 * each host's latest results and state (the worst of its probes), and buffers
 * samples for the store. Used by the console and by `opsdeck hosts`.
 */
#ifndef OPSDECK_MONITOR_H
#define OPSDECK_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fleet.h"
#include "inventory.h"
#include "probe.h"
#include "store.h"

/* One probe on one host. */
struct monitor_probe {
	char name[64];
	const struct probe_def *def;           /* NULL for a custom probe */
	const struct inventory_probe *custom;  /* NULL for a built-in */
	struct probe_limits limits;
	int interval_s, timeout_s;
	bool have;                  /* a result has come in */
	bool running;
	struct probe_result result; /* latest */
	char *output;               /* latest raw (sanitised) output, malloc'd */
	char error[256];            /* why the last run failed ("" when it ran) */
	int64_t last_ms;            /* wall clock of the latest result */
	int64_t due_mono;           /* next run */
};

/* A host's overall condition, for counters and colours. */
enum monitor_host {
	MON_PENDING,     /* no result yet */
	MON_OK,
	MON_DEGRADED,    /* a probe is WARNING or UNKNOWN */
	MON_CRITICAL,    /* a probe is CRITICAL */
	MON_UNREACHABLE, /* no session: down, connecting failed */
	MON_KEY_PROBLEM, /* host key unknown, changed or rejected */
	MON_AUTH_FAILED,
	MON_DISABLED,    /* decommissioned */
};

const char *monitor_host_name(enum monitor_host s);

struct monitor;

/*
 * Builds the probe plan for every host of inv already added to f, in the same
 * order (host i of the fleet is host i of inv). Both must outlive the monitor.
 * Returns NULL with e set (unknown probe name). The caller owns the result.
 */
struct monitor *monitor_new(struct fleet *f, const struct inventory *inv, struct err *e);

void monitor_free(struct monitor **m);

/* Queues every probe of host (SIZE_MAX: every host) now. */
void monitor_run_now(struct monitor *m, size_t host);

/* Queues the probes that are due (call from the loop; cheap when nothing is). */
void monitor_tick(struct monitor *m);

/* The earliest monotonic ms a probe falls due; -1 for none. */
int64_t monitor_next_deadline(const struct monitor *m);

/* True while any probe is queued or running. */
bool monitor_busy(const struct monitor *m);

size_t monitor_probes(const struct monitor *m, size_t host, const struct monitor_probe **out);

enum monitor_host monitor_host_state(const struct monitor *m, size_t host);

/* A probe result changed since the last call (for redraws); clears the flag. */
bool monitor_changed(struct monitor *m);

/* The worst probe state of host among those with results; PROBE_OK when none. */
enum probe_state monitor_worst(const struct monitor *m, size_t host);

/*
 * Writes buffered samples to st in one transaction (the console calls it before
 * it sleeps). Returns the number written, or -1 with e set (samples are kept).
 */
int monitor_flush(struct monitor *m, struct store *st, struct err *e);

#endif
