/*
 * retention: how long probe history is kept, applied in bounded batches and logged.
 *
 * config.yaml:
 *   retention:
 *     samples: 30d   # probe samples (raw rows and hourly roll-ups) older than this go
 *     outputs: 7d    # the probe output text kept with each sample is cleared after this
 *
 * Durations are "90s", "15m", "4h", "30d", "2w" or "forever". The shift log, the
 * incident timeline and every other table are never pruned: this module touches
 * only samples and samples_hourly.
 */
#ifndef OPSDECK_RETENTION_H
#define OPSDECK_RETENTION_H

#include <stdint.h>

#include "err.h"
#include "store.h"
#include "yamlutil.h"

#define RETENTION_BATCH 1000 /* rows per transaction: a writer waits at most one batch */

struct retention_config {
	int64_t samples_ms; /* 0: keep forever */
	int64_t outputs_ms; /* 0: keep forever */
};

/* 30 days of samples, 7 days of outputs. */
void retention_config_defaults(struct retention_config *c);

/*
 * Reads the `retention` map from a parsed config.yaml (doc->root may be NULL).
 * Unknown keys and bad durations: -1 with e = "file:line:col: message".
 */
int retention_config_read(const struct ydoc *doc, struct retention_config *c, struct err *e);

struct retention_result {
	int64_t samples; /* raw sample rows deleted */
	int64_t hourly;  /* hourly roll-up rows deleted */
	int64_t outputs; /* probe outputs cleared (rows kept) */
	int64_t log_id;  /* the shift-log entry that records the run */
};

/*
 * Applies c at now_ms, batch rows per transaction (<= 0: RETENTION_BATCH), then
 * appends one shift-log entry (category system) saying what was removed. Must
 * not be called inside a transaction. Returns 0, or -1 with e set (batches
 * already committed stay done; the counts in r say how far it got).
 */
int retention_run(struct store *st, const struct retention_config *c, int64_t now_ms, int batch,
		  struct retention_result *r, struct err *e);

#endif
