/* fleetlog: which fleet events go in the shift log, and how they read there. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fleetlog.h"
#include "paths.h"
#include "shiftlog.h"
#include "text.h"

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

/* ---- exec audit ---- */

/* A growing text for one log entry. */
struct fleetlog_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static bool fleetlog_grow(struct fleetlog_buf *b, size_t need);
static void fleetlog_put(struct fleetlog_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fleetlog_put(struct fleetlog_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (b->len + (size_t)n + 1 > b->cap &&
		      !fleetlog_grow(b, b->len + (size_t)n + 1))) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static bool fleetlog_grow(struct fleetlog_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	char *np = NULL;

	while (cap < need)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np)
		return false;
	b->p = np;
	b->cap = cap;
	return true;
}

/* Writes command to <data_dir>/exec/<hex>.txt (0600, folder 0700); path gets its name. */
static int fleetlog_store_command(const char *data_dir, const char *hex, const char *command,
				  char *path, size_t pathsz, struct err *e)
{
	size_t len = strlen(command);
	int fd = -1;
	int rc = -1;

	snprintf(path, pathsz, "%s/exec", data_dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(path, pathsz, "%s/exec/%s.txt", data_dir, hex);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, command, len) != (ssize_t)len || fsync(fd) != 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

int fleetlog_exec_started(struct store *st, const struct fleetlog_exec *x, int64_t *id_out,
			  struct err *e)
{
	struct fleetlog_buf b = { 0 };
	struct shiftlog_new n = { .category = "action", .severity = "notice" };
	size_t len = strlen(x->command);
	int rc = -1;

	fleetlog_put(&b, "exec started on %zu host%s (pattern '%s': ", x->n_hosts,
		     x->n_hosts == 1 ? "" : "s", x->pattern ? x->pattern : "*");
	for (size_t i = 0; i < x->n_hosts; i++)
		fleetlog_put(&b, "%s%s", i ? ", " : "", x->hosts[i]);
	fleetlog_put(&b, "): ");
	if (len <= FLEETLOG_COMMAND_MAX && text_is_clean(x->command, len, TEXT_KEEP_NEWLINES)) {
		fleetlog_put(&b, "%s", x->command);
	} else {
		/* The log keeps what it can show as it is; anything else is named by its
		 * digest and kept whole beside the database, never cut. */
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		char hex[2 * 32 + 1];
		char path[PATHS_MAX + 80];

		if (!EVP_Digest(x->command, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
			err_set(e, "sha256 of the command failed");
			goto out;
		}
		for (unsigned i = 0; i < mdlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		if (fleetlog_store_command(x->data_dir, hex, x->command, path, sizeof path, e))
			goto out;
		fleetlog_put(&b, "command of %zu bytes, sha256 %s, whole text in %s", len, hex, path);
	}
	if (b.oom) {
		err_set(e, "out of memory");
		goto out;
	}
	n.text = b.p;
	n.host = x->n_hosts == 1 ? x->hosts[0] : NULL;
	rc = shiftlog_append(st, &n, id_out, e);
out:
	free(b.p);
	return rc;
}

int fleetlog_exec_finished(struct store *st, int64_t started_id,
			   const struct fleetlog_exec_host *hosts, size_t n_hosts, bool interrupted,
			   struct err *e)
{
	struct fleetlog_buf b = { 0 };
	struct shiftlog_new n = { .category = "action", .severity = "notice" };
	size_t ok = 0, failing = 0;
	int rc = -1;

	for (size_t i = 0; i < n_hosts; i++)
		ok += !hosts[i].error && hosts[i].exit_status == 0;
	fleetlog_put(&b, "exec finished (started in #%" PRId64 ")%s: %zu host%s, %zu exit 0",
		     started_id, interrupted ? ": interrupted" : "", n_hosts,
		     n_hosts == 1 ? "" : "s", ok);
	for (size_t i = 0; i < n_hosts; i++) {
		if (!hosts[i].error && hosts[i].exit_status == 0)
			continue;
		fleetlog_put(&b, "%s%s ", failing++ ? ", " : "; failing: ", hosts[i].name);
		if (hosts[i].error)
			fleetlog_put(&b, "(%s)", hosts[i].error);
		else
			fleetlog_put(&b, "exit %d", hosts[i].exit_status);
	}
	if (b.oom) {
		err_set(e, "out of memory");
		goto out;
	}
	n.text = b.p;
	n.severity = interrupted || failing ? "warning" : "notice";
	n.host = n_hosts == 1 ? hosts[0].name : NULL;
	rc = shiftlog_append(st, &n, NULL, e);
out:
	free(b.p);
	return rc;
}
