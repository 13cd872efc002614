/*
 * actions: the table of named actions (tmux's options table, calcurse's keydef[]).
 * Adding a view means adding its actions here with a context named after the
 * view; help and the hint line pick them up without further code.
 */
#include <stddef.h>

#include "actions.h"

const struct keymap_action actions_table[ACT__COUNT] = {
	[ACT_QUIT] = {"quit", "global", "q", "Quit opsdeck (asks for confirmation)"},
	[ACT_HELP] = {"help", "global", "? F1", "Show or hide this help"},
	[ACT_NOTE] = {"note", "global", "n", "Write a quick note to the shift log from any view"},
	[ACT_BACK] = {"back", "global", "Esc", "Close the overlay, detail or prompt"},
	[ACT_REDRAW] = {"redraw", "global", "C-l", "Redraw the whole screen"},
	[ACT_TAB_NEXT] = {"tab-next", "global", "Tab", "Focus the next view"},
	[ACT_TAB_PREV] = {"tab-prev", "global", "S-Tab", "Focus the previous view"},
	[ACT_LOG_UP] = {"log.up", "log", "Up k", "Move the selection up one entry"},
	[ACT_LOG_DOWN] = {"log.down", "log", "Down j", "Move the selection down one entry"},
	[ACT_LOG_PAGE_UP] = {"log.page-up", "log", "PageUp C-b", "Scroll up one screen"},
	[ACT_LOG_PAGE_DOWN] = {"log.page-down", "log", "PageDown Space", "Scroll down one screen"},
	[ACT_LOG_TOP] = {"log.top", "log", "Home g", "Go to the oldest entry"},
	[ACT_LOG_BOTTOM] = {"log.bottom", "log", "End G", "Go to the newest entry and follow new ones"},
	[ACT_LOG_DETAIL] = {"log.detail", "log", "Enter",
			    "Open the selected entry: all fields, hash and corrections"},
	[ACT_LOG_SEARCH] = {"log.search", "log", "/", "Full-text search (FTS5 query; empty clears)"},
	[ACT_LOG_CATEGORY] = {"log.filter-category", "log", "f", "Filter by category (empty clears)"},
	[ACT_LOG_SEVERITY] = {"log.filter-severity", "log", "s",
			      "Show this severity and above (empty clears)"},
	[ACT_LOG_SINCE] = {"log.filter-since", "log", "t",
			   "Show entries since a time: -2h, -7d, 2026-11-20 08:00 (empty clears)"},
	[ACT_LOG_CLEAR] = {"log.clear-filters", "log", "x", "Clear search and every filter"},
	[ACT_LOG_CORRECT] = {"log.correct", "log", "c",
			     "Write a correction to the selected entry (entries are never edited)"},
	[ACT_HOSTS_UP] = {"hosts.up", "hosts", "Up k", "Move the selection up one host (scrolls the detail)"},
	[ACT_HOSTS_DOWN] = {"hosts.down", "hosts", "Down j",
			    "Move the selection down one host (scrolls the detail)"},
	[ACT_HOSTS_PAGE_UP] = {"hosts.page-up", "hosts", "PageUp C-b", "Scroll up one screen"},
	[ACT_HOSTS_PAGE_DOWN] = {"hosts.page-down", "hosts", "PageDown Space",
				 "Scroll down one screen"},
	[ACT_HOSTS_TOP] = {"hosts.top", "hosts", "Home g", "Go to the first host"},
	[ACT_HOSTS_BOTTOM] = {"hosts.bottom", "hosts", "End G", "Go to the last host"},
	[ACT_HOSTS_DETAIL] = {"hosts.detail", "hosts", "Enter",
			      "Open the selected host: connection, probe output, history, actions"},
	[ACT_HOSTS_SORT] = {"hosts.sort", "hosts", "s", "Sort by the next column"},
	[ACT_HOSTS_REVERSE] = {"hosts.reverse", "hosts", "r", "Reverse the sort order"},
	[ACT_HOSTS_FILTER] = {"hosts.filter", "hosts", "/",
			      "Filter by name, group, tag, environment or state (glob; empty clears)"},
	[ACT_HOSTS_GROUP] = {"hosts.group", "hosts", "t", "Group the hosts by their first group, or not"},
	[ACT_HOSTS_RECONNECT] = {"hosts.reconnect", "hosts", "c",
				 "Connect the selected host now (resets its retry backoff)"},
	[ACT_HOSTS_ACCEPT_KEY] = {"hosts.accept-key", "hosts", "a",
				  "Accept the host's unknown key after checking its SHA256 fingerprint"},
	[ACT_HOSTS_REJECT_KEY] = {"hosts.reject-key", "hosts", "d",
				  "Reject the host's unknown key (it stays refused until reconnect)"},
	[ACT_HOSTS_RUN] = {"hosts.run", "hosts", "e !",
			   "Run a command on the selected host (asks to confirm; logged)"},
	[ACT_INC_UP] = {"incidents.up", "incidents", "Up k", "Move the selection up (scrolls the detail)"},
	[ACT_INC_DOWN] = {"incidents.down", "incidents", "Down j",
			  "Move the selection down (scrolls the detail)"},
	[ACT_INC_PAGE_UP] = {"incidents.page-up", "incidents", "PageUp C-b", "Scroll up one screen"},
	[ACT_INC_PAGE_DOWN] = {"incidents.page-down", "incidents", "PageDown Space",
			       "Scroll down one screen"},
	[ACT_INC_TOP] = {"incidents.top", "incidents", "Home g", "Go to the top of the queue"},
	[ACT_INC_BOTTOM] = {"incidents.bottom", "incidents", "End G", "Go to the end of the queue"},
	[ACT_INC_DETAIL] = {"incidents.detail", "incidents", "Enter",
			    "Open the selected incident with its timeline"},
	[ACT_INC_SEARCH] = {"incidents.search", "incidents", "/",
			    "Filter by text in the title (empty clears)"},
	[ACT_INC_SEVERITY] = {"incidents.filter-severity", "incidents", "s",
			      "Show one severity: SEV1..SEV4 (empty clears)"},
	[ACT_INC_STATE] = {"incidents.filter-state", "incidents", "f",
			   "Show states: open, all, or a list like triage,active (empty: open)"},
	[ACT_INC_CLEAR] = {"incidents.clear-filters", "incidents", "x",
			   "Clear the filters (open incidents, every severity)"},
	[ACT_INC_ACK] = {"incidents.ack", "incidents", "a", "Acknowledge the incident (stops the ack SLA)"},
	[ACT_INC_ACTIVATE] = {"incidents.activate", "incidents", "A",
			      "Activate: take the incident on (triage -> active)"},
	[ACT_INC_ESCALATE] = {"incidents.escalate", "incidents", "e",
			      "Escalate one level (asks for the reason)"},
	[ACT_INC_MITIGATE] = {"incidents.mitigate", "incidents", "m",
			      "Mark mitigated: the impact stopped (active -> mitigated)"},
	[ACT_INC_RESOLVE] = {"incidents.resolve", "incidents", "r",
			     "Resolve (asks for the resolution note; mitigated -> resolved)"},
	[ACT_INC_CREATE] = {"incidents.create", "incidents", "c",
			    "Open a new incident (asks for the title, then the severity)"},
	[ACT_INC_ANNOTATE] = {"incidents.annotate", "incidents", "o",
			      "Add a note to the incident's timeline"},
};

/* Hint-line labels; NULL keeps an action out of the hint line (it stays in help). */
static const char *const hints[ACT__COUNT] = {
	[ACT_QUIT] = "quit",
	[ACT_HELP] = "help",
	[ACT_NOTE] = "note",
	[ACT_LOG_DETAIL] = "detail",
	[ACT_LOG_SEARCH] = "search",
	[ACT_LOG_CATEGORY] = "category",
	[ACT_LOG_SEVERITY] = "severity",
	[ACT_LOG_SINCE] = "since",
	[ACT_LOG_CLEAR] = "clear",
	[ACT_LOG_CORRECT] = "correct",
	[ACT_HOSTS_DETAIL] = "detail",
	[ACT_HOSTS_FILTER] = "filter",
	[ACT_HOSTS_SORT] = "sort",
	[ACT_HOSTS_GROUP] = "group",
	[ACT_HOSTS_RECONNECT] = "connect",
	[ACT_HOSTS_ACCEPT_KEY] = "accept key",
	[ACT_HOSTS_RUN] = "run",
	[ACT_INC_DETAIL] = "detail",
	[ACT_INC_ACK] = "ack",
	[ACT_INC_ESCALATE] = "escalate",
	[ACT_INC_MITIGATE] = "mitigate",
	[ACT_INC_RESOLVE] = "resolve",
	[ACT_INC_CREATE] = "new",
	[ACT_INC_ANNOTATE] = "note",
	[ACT_INC_SEARCH] = "filter",
};

const char *actions_hint(int id)
{
	return (id >= 0 && id < ACT__COUNT) ? hints[id] : NULL;
}

const char *actions_key_label(const struct keymap *km, int id, char *buf, size_t len)
{
	int keys[KEYMAP_MAX_KEYS];
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	if (id < 0 || id >= ACT__COUNT)
		return buf;
	n = keymap_keys(km, (size_t)id, keys, KEYMAP_MAX_KEYS);
	if (n > 0)
		keymap_key_name(keys[0], buf, len);
	return buf;
}
