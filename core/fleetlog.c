/* fleetlog: which fleet events go in the shift log, and how they read there. */
#include <stdio.h>

#include "fleetlog.h"
#include "shiftlog.h"

static const struct {
	enum fleet_event ev;
	const char *category, *severity;
	const char *before, *after; /* around the event's detail */
} events[] = {
	{ FLEET_EV_KEY_UNKNOWN, "system", "notice", "host key unknown: ",
	  " (waiting for an operator)" },
	{ FLEET_EV_KEY_CHANGED, "alarm", "critical", "HOST KEY CHANGED: server offers ",
	  "; connection refused (possible man-in-the-middle)" },
	{ FLEET_EV_KEY_ACCEPTED, "action", "notice", "host key ", " accepted" },
	{ FLEET_EV_KEY_REJECTED, "action", "notice", "host key ", " rejected" },
	{ FLEET_EV_AUTH_FAILED, "alarm", "warning", "", "" },
};

int fleetlog_event(struct store *st, const char *host, enum fleet_event ev, const char *detail,
		   struct err *e)
{
	char text[600];

	for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
		struct shiftlog_new n = { .category = events[i].category,
					  .severity = events[i].severity, .host = host, .text = text };

		if (events[i].ev != ev)
			continue;
		snprintf(text, sizeof text, "%s%s%s", events[i].before, detail ? detail : "?",
			 events[i].after);
		return shiftlog_append(st, &n, NULL, e);
	}
	return 0;
}
