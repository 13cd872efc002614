/*
 * probe: what opsdeck asks a host, and how it reads the answer.
 *
 * Built-in probes are one small shell command each, parsed here: load and uptime,
 * memory, disk per mount, failed systemd units, pending and security updates (apt
 * and dnf), reboot required. Custom probes speak the Nagios plugin protocol: exit
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; output "TEXT | perfdata" where perfdata
 * is 'label'=value[UOM];warn;crit;min;max, so monitoring-plugins checks work
 * unchanged. Results are kept in SQLite as samples, with retention and an hourly
 * roll-up so a month of history stays small.
 */
#ifndef OPSDECK_PROBE_H
#define OPSDECK_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "inventory.h"
#include "store.h"

/* Nagios exit codes; the numeric values are the protocol. */
enum probe_state { PROBE_OK = 0, PROBE_WARNING = 1, PROBE_CRITICAL = 2, PROBE_UNKNOWN = 3 };

#define PROBE_MAX_METRICS 32

struct probe_metric {
	char label[64];
	double value;
	char uom[16];
	double warn, crit, min, max; /* NAN when absent */
};

struct probe_result {
	enum probe_state state;
	char summary[256];   /* one line for the table, sanitised */
	struct probe_metric metrics[PROBE_MAX_METRICS];
	size_t n_metrics;
	double value;        /* the probe's main figure (load per CPU, % used, count); NAN if none */
};

/* Thresholds for a probe's main figure; NAN means "use the probe's default". */
struct probe_limits {
	double warn, crit;
};

struct probe_def {
	const char *name;     /* "load", "memory", "disk", "failed-units", "updates", "reboot" */
	const char *command;  /* run with the user's login shell on the host */
	int interval_s;       /* default interval */
	int timeout_s;        /* default timeout */
	double warn, crit;    /* default thresholds on the main figure */
	const char *unit;     /* of the main figure, for display ("%", "/cpu", "") */
	/* Parses a finished run. out is the (sanitised) output, exit_status the command's.
	 * lim may be NULL and NAN fields fall back to warn/crit above. Always returns 0:
	 * output it cannot read gives UNKNOWN with the reason in the summary. */
	int (*parse)(const char *out, size_t len, int exit_status, const struct probe_limits *lim,
		     struct probe_result *r);
};

/* The built-in probes, and their count. */
extern const struct probe_def probe_builtins[];
extern const size_t probe_builtins_n;

/* Names run on a host that does not list its own probes. */
extern const char *const probe_default_set[]; /* NULL-terminated */

/* Built-in probe by name, or NULL. */
const struct probe_def *probe_builtin(const char *name);

/*
 * Parses Nagios plugin output: state from exit_status (other codes -> UNKNOWN),
 * summary from the first line's text, metrics from perfdata on every line.
 * Malformed perfdata items are skipped, never fatal. Always returns 0.
 */
int probe_parse_nagios(const char *out, size_t len, int exit_status, struct probe_result *r);

/*
 * Parses one perfdata string ("a=1;2;3 'b c'=4%") into up to max metrics.
 * Returns the number parsed.
 *
 * Items are blank-separated 'label'=value[UOM];warn;crit;min;max. Labels may be
 * quoted ('' inside is a quote); value "U" (undetermined) gives NAN; any unit is
 * kept as text (see probe_uom_known). warn and crit are Nagios ranges and keep one
 * number: the range's end when it has one, else its start ("10" -> 10,
 * "10:20" -> 20, "@10:20" -> 20, "~:5" -> 5, "10:" -> 10, "~:" -> NAN); empty
 * fields give NAN, fields past max are ignored. An item with an unparsable field
 * is skipped whole. Numbers are read without the locale ("0,5" is taken as 0.5).
 */
size_t probe_parse_perfdata(const char *s, struct probe_metric *m, size_t max);

/* True for the units of the plugin guidelines: s ms us % B KB MB GB TB c. */
bool probe_uom_known(const char *uom);

/*
 * The state of a main figure against limits: >= crit CRITICAL, else >= warn
 * WARNING, else OK; a NAN limit is not checked, a NAN value is OK. When both are
 * set and warn > crit, low values are bad instead (<= crit CRITICAL, <= warn
 * WARNING), for figures such as free space. Callers apply it to custom probes
 * with probe_worst(exit state, probe_classify(r->value, &lim)).
 */
enum probe_state probe_classify(double value, const struct probe_limits *lim);

/* The limits for probe on host: inventory thresholds (group-specific ones win),
 * else the probe's defaults. Field by field: among equals a later entry's warn or
 * crit replaces an earlier one's only when set. A custom probe's own warn/crit
 * are its defaults. inv and h may be NULL. */
struct probe_limits probe_limits_for(const struct inventory *inv, const struct inventory_host *h,
				     const char *probe);

/* Worst of two states for a host: OK < UNKNOWN < WARNING < CRITICAL. */
enum probe_state probe_worst(enum probe_state a, enum probe_state b);

const char *probe_state_name(enum probe_state s); /* "OK", "WARNING", ... */

/* ---- samples: history in SQLite ---- */

/* Stores one result (host, probe, UTC ms). Joins the caller's transaction if open. */
int probe_sample_store(struct store *st, const char *host, const char *probe, int64_t ts_ms,
		       const struct probe_result *r, struct err *e);

struct probe_point {
	int64_t ts_ms;
	double value; /* NAN when the sample had none */
	enum probe_state state;
};

/*
 * Fills up to max points of host/probe since since_ms, oldest first: raw samples
 * where kept, hourly averages (worst state) before that. An hourly point's ts_ms
 * is the start of its UTC hour. With more than max points, the newest max are
 * returned. Returns the count or -1.
 */
int probe_history(struct store *st, const char *host, const char *probe, int64_t since_ms,
		  struct probe_point *pts, size_t max, struct err *e);

/*
 * Rolls raw samples older than raw_keep_ms into hourly rows and deletes them;
 * deletes hourly rows older than hourly_keep_ms (whole hour before the cut-off;
 * hourly_keep_ms <= 0 keeps them forever). One transaction (the caller's if
 * open); running it twice changes nothing. Returns rows removed, or -1.
 */
int64_t probe_prune(struct store *st, int64_t now_ms, int64_t raw_keep_ms, int64_t hourly_keep_ms,
		    struct err *e);

#endif
