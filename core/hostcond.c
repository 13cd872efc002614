/* hostcond: see include/hostcond.h. */
#include <string.h>

#include "hostcond.h"

enum monitor_host hostcond_state(enum monitor_host probes, const struct fleet_status *fs)
{
	bool probe_view = probes == MON_PENDING || probes == MON_OK || probes == MON_DEGRADED ||
			  probes == MON_CRITICAL;

	if (fs && fs->failures > 0 && fs->state != FLEET_UP && probe_view)
		return MON_UNREACHABLE;
	return probes;
}

/* Adds one reason: the first text wins, the latest end wins (an open end stays open). */
static void hostcond_add_reason(struct hostcond *out, unsigned reason, int64_t until,
				const char *what)
{
	if (!out->maint_what)
		out->maint_what = what;
	if (!out->maint || (out->maint_until_ms && (!until || until > out->maint_until_ms)))
		out->maint_until_ms = until;
	out->maint |= reason;
}

void hostcond_get(const struct fleet *f, const struct monitor *m, const struct inventory_host *h,
		  size_t i, const struct hostcond_source *sources, size_t nsources, int64_t now_ms,
		  struct hostcond *out)
{
	memset(out, 0, sizeof *out);
	out->state = MON_PENDING;
	if (f && m && i < fleet_count(f)) {
		struct fleet_status fs;

		fleet_status(f, i, &fs);
		out->state = hostcond_state(monitor_host_state(m, i), &fs);
	}
	if (!h)
		return;
	if (h->lifecycle == INV_MAINTENANCE)
		hostcond_add_reason(out, HOSTCOND_MAINT_LIFECYCLE, 0, "inventory lifecycle");
	for (size_t k = 0; k < nsources; k++) {
		int64_t until = 0;
		const char *what = NULL;

		if (sources[k].in_maintenance &&
		    sources[k].in_maintenance(sources[k].ctx, h->name, now_ms, &until, &what))
			hostcond_add_reason(out, sources[k].reason, until, what);
	}
}

bool hostcond_suppressed(const struct hostcond *c)
{
	return c->maint != 0;
}
