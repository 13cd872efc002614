/*
 * incident_config: incidents.yaml in the config folder, the rules the incident
 * queue works by: severity names and SLA targets, escalation levels with their
 * responder groups and timeouts, flapping damping, and how the console alerts.
 * A missing file means the built-in defaults; a malformed one is an error
 * "file:line:col: message". Durations are "90s", "15m", "4h", "3d" or seconds.
 *
 *   severities:
 *     SEV1: { name: Critical, ack: 5m, resolve: 1h }
 *     SEV2: { name: Major, ack: 15m, resolve: 4h }
 *     SEV3: { name: Minor, ack: 1h, resolve: 24h }
 *     SEV4: { name: Low, ack: 4h, resolve: 72h }
 *   escalation:                       # level 1 is where every incident starts
 *     - { name: L1, group: on-call, timeout: 15m }
 *     - { name: L2, group: secondary, timeout: 30m }
 *     - { name: L3, group: management }   # the last level has no timeout
 *   flapping: { window: 10m, changes: 4 }
 *   alert: bell                       # bell | flash | none, for new incidents
 *   alert_severity: SEV2              # ... of this severity or worse
 */
#ifndef OPSDECK_INCIDENT_CONFIG_H
#define OPSDECK_INCIDENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "schema.h"

#define INCIDENT_N_SEV 4        /* SEV1 (worst) .. SEV4 */
#define INCIDENT_MAX_LEVELS 8

struct incident_sev_cfg {
	char name[32];      /* display name ("Critical"); the machine name stays SEVn */
	int64_t ack_ms;     /* acknowledge target, from opening */
	int64_t resolve_ms; /* resolve target, from opening */
};

struct incident_level_cfg {
	char name[32];      /* "L1" */
	char group[64];     /* responder group paged at this level */
	int64_t timeout_ms; /* unacknowledged this long at this level -> next; 0: never */
};

enum incident_alert { INCIDENT_ALERT_NONE, INCIDENT_ALERT_BELL, INCIDENT_ALERT_FLASH };

struct incident_config {
	struct incident_sev_cfg sev[INCIDENT_N_SEV]; /* index severity - 1 */
	struct incident_level_cfg levels[INCIDENT_MAX_LEVELS];
	size_t n_levels;        /* >= 1 */
	int64_t flap_window_ms; /* see incident_observe */
	int flap_changes;       /* more changes than this within the window: flapping */
	enum incident_alert alert;
	int alert_severity;     /* alert for new incidents of severity <= this (1..4) */
};

/* Fills c with the built-in defaults (the values in the example above). */
void incident_config_defaults(struct incident_config *c);

/* incidents.yaml's settings table (README's table comes from it). */
extern const struct schema incident_config_schema;

/*
 * Loads path over the defaults, adding every problem ("file:line:col: message")
 * to d. A missing file adds none. A bad setting keeps its default and the
 * others apply (an escalation chain with a bad level keeps the default chain).
 */
void incident_config_load_diags(const char *path, struct incident_config *c,
				struct schema_diags *d);

/* As incident_config_load_diags: 0, or -1 with e = the first problem (and how many more). */
int incident_config_load(const char *path, struct incident_config *c, struct err *e);

/* Parses "90s", "15m", "4h", "3d", "1w" or plain seconds into ms. 0 or -1. */
int incident_duration_parse(const char *s, int64_t *ms);

/* Formats a duration as "1h 05m", "4m 10s", "2d 3h" (negative with a '-'). */
void incident_duration_format(int64_t ms, char *buf, size_t len);

#endif
