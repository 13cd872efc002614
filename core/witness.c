/*
 * witness: sends the shift log's chain head to places a database writer cannot
 * rewrite, and checks the log against what they recorded. See witness.h.
 *
 * Commands run without a shell (fork/execvp); the record goes to the command on
 * stdin over a socket, so a command that does not read it cannot kill opsdeck
 * with SIGPIPE (send with MSG_NOSIGNAL). File witnesses are reached through the
 * fleet engine with a one-host fleet and a small poll loop of their own.
 */
#define _GNU_SOURCE /* pipe2, asprintf */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fleet.h"
#include "inventory.h"
#include "text.h"
#include "witness.h"
#include "yamlutil.h"

#define WITNESS_TIMEOUT_MS 30000
#define WITNESS_OUT_CAP (16u << 20) /* a witness's record file read back, at most */

/* ---- config ---- */

void witness_config_free(struct witness_config *w)
{
	for (size_t i = 0; w->command && w->command[i]; i++)
		free(w->command[i]);
	for (size_t i = 0; w->verify_command && w->verify_command[i]; i++)
		free(w->verify_command[i]);
	free(w->command);
	free(w->verify_command);
	for (size_t i = 0; i < w->n_files; i++) {
		free(w->files[i].host);
		free(w->files[i].path);
	}
	free(w->files);
	memset(w, 0, sizeof *w);
}

bool witness_configured(const struct witness_config *w)
{
	return w->command || w->n_files;
}

/* "15m", "30s", "1h", or plain seconds. */
static int witness_parse_every(const struct ydoc *d, const struct ynode *v, int64_t *out,
			       struct err *e)
{
	static const struct { char unit; int64_t ms; } units[] = {
		{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 },
	};
	const char *s = v->value;
	char *end = NULL;
	long long n;

	if (v->kind != YNODE_SCALAR || !(s[0] >= '0' && s[0] <= '9'))
		goto bad;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || n <= 0 || n > 1000000)
		goto bad;
	if (*end == '\0') {
		*out = n * 1000;
		return 0;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (end[0] == units[i].unit && end[1] == '\0') {
			*out = n * units[i].ms;
			return 0;
		}
bad:
	return ydoc_error(d, v, e, "witness.every must be a time like 15m, 30s or 1h");
}

/* A non-empty sequence of strings into a new NULL-terminated argv. */
static int witness_parse_argv(const struct ydoc *d, const struct ynode *v, const char *name,
			      char ***out, struct err *e)
{
	char **argv = NULL;

	if (v->kind != YNODE_SEQ || v->n == 0)
		return ydoc_error(d, v, e, "witness.%s must be a list of arguments, like "
				  "[logger, -t, opsdeck] (no shell)", name);
	if (!(argv = calloc(v->n + 1, sizeof *argv)))
		goto oom;
	for (size_t i = 0; i < v->n; i++) {
		if (v->kids[i]->kind != YNODE_SCALAR) {
			ydoc_error(d, v->kids[i], e, "witness.%s: each argument is one string", name);
			goto fail;
		}
		if (!(argv[i] = strdup(v->kids[i]->value)))
			goto oom;
	}
	*out = argv;
	return 0;
oom:
	err_set(e, "out of memory");
fail:
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
	return -1;
}

static int witness_parse_files(const struct ydoc *d, const struct ynode *v,
			       struct witness_config *w, struct err *e)
{
	if (v->kind != YNODE_SEQ)
		return ydoc_error(d, v, e, "witness.files must be a list of {host, path}");
	if (!(w->files = calloc(v->n ? v->n : 1, sizeof *w->files))) {
		err_set(e, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *f = v->kids[i];
		const struct ynode *host = ynode_get(f, "host"), *path = ynode_get(f, "path");

		if (f->kind != YNODE_MAP || f->n != 4 || !host || !path ||
		    host->kind != YNODE_SCALAR || path->kind != YNODE_SCALAR || !*host->value ||
		    !*path->value)
			return ydoc_error(d, f, e, "each witness file is {host: NAME, path: PATH} "
					  "(an inventory host and a path on it)");
		w->files[i].host = strdup(host->value);
		w->files[i].path = strdup(path->value);
		w->n_files++;
		if (!w->files[i].host || !w->files[i].path) {
			err_set(e, "out of memory");
			return -1;
		}
	}
	return 0;
}

int witness_config_load(const char *config_path, struct witness_config *w, struct err *e)
{
	struct ydoc doc = { 0 };
	const struct ynode *root = NULL, *wn = NULL;
	int rc = -1;

	memset(w, 0, sizeof *w);
	if (access(config_path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (ydoc_load(config_path, &doc, e) < 0)
		goto out;
	root = doc.root;
	if (!root || root->kind != YNODE_MAP || !(wn = ynode_get(root, "witness"))) {
		rc = 0; /* config.c reports a root that is not a map */
		goto out;
	}
	if (wn->kind != YNODE_MAP) {
		ydoc_error(&doc, wn, e, "witness must be a mapping: {every, command, "
			   "verify_command, files}");
		goto out;
	}
	for (size_t i = 0; i + 1 < wn->n; i += 2) {
		const char *k = wn->kids[i]->value;
		const struct ynode *v = wn->kids[i + 1];
		int r;

		if (strcmp(k, "every") == 0)
			r = witness_parse_every(&doc, v, &w->every_ms, e);
		else if (strcmp(k, "command") == 0)
			r = witness_parse_argv(&doc, v, "command", &w->command, e);
		else if (strcmp(k, "verify_command") == 0)
			r = witness_parse_argv(&doc, v, "verify_command", &w->verify_command, e);
		else if (strcmp(k, "files") == 0)
			r = witness_parse_files(&doc, v, w, e);
		else
			r = ydoc_error(&doc, wn->kids[i], e, "unknown witness setting '%s' (known: "
				       "every, command, verify_command, files)", k);
		if (r)
			goto out;
	}
	rc = 0;
out:
	if (rc)
		witness_config_free(w);
	ydoc_free(&doc);
	return rc;
}

bool witness_due(const struct witness_config *w, const struct witness_state *s, int64_t now_ms)
{
	return w->every_ms > 0 && witness_configured(w) && now_ms - s->last_sent_ms >= w->every_ms;
}

/* ---- running a command without a shell ---- */

/*
 * Runs argv with in (may be NULL) on its stdin and, when out is not NULL, its
 * stdout collected into *out (caller frees; NUL-terminated). Without out, its
 * stdout and stderr are collected instead, so nothing reaches a report or the
 * console's screen, and the first line of it (sanitised) goes into the error.
 * Returns 0 when it exited 0, -1 with e set otherwise (including the deadline).
 */
static int witness_run(char *const argv[], const char *in, char **out, struct err *e)
{
	int sv[2] = { -1, -1 }, po[2] = { -1, -1 };
	size_t in_len = in ? strlen(in) : 0, in_off = 0, len = 0, cap = 0;
	int64_t deadline = clock_mono_ms() + WITNESS_TIMEOUT_MS;
	char *buf = NULL;
	pid_t pid = -1;
	int status = 0;
	int rc = -1;

	size_t keep = out ? WITNESS_OUT_CAP : 1024; /* without out: enough for a message */

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) || pipe2(po, O_CLOEXEC)) {
		err_set(e, "%s: %s", argv[0], strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err_set(e, "%s: %s", argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		dup2(sv[1], 0);
		dup2(po[1], 1);
		if (!out)
			dup2(po[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "opsdeck: witness: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	sv[1] = -1;
	close(po[1]);
	po[1] = -1;
	if (in_len == 0)
		shutdown(sv[0], SHUT_WR);
	/* Feed stdin and drain stdout together, so neither side can block the other. */
	while ((in_off < in_len || po[0] >= 0) && clock_mono_ms() < deadline) {
		struct pollfd p[2] = { { sv[0], POLLOUT, 0 }, { po[0], POLLIN, 0 } };
		int64_t left = deadline - clock_mono_ms();

		if (in_off >= in_len)
			p[0].fd = -1;
		if (poll(p, 2, (int)(left > 0 ? left : 0)) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			ssize_t n = send(sv[0], in + in_off, in_len - in_off, MSG_NOSIGNAL);

			if (n > 0)
				in_off += (size_t)n;
			if (n < 0 || in_off >= in_len) {
				in_off = in_len;
				shutdown(sv[0], SHUT_WR);
			}
		}
		if (p[1].revents) {
			char chunk[4096];
			ssize_t n = read(po[0], chunk, sizeof chunk);
			size_t take = n > 0 ? (size_t)n : 0;

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(po[0]);
				po[0] = -1;
				continue;
			}
			if (len + take + 1 > keep) {
				if (out) {
					err_set(e, "%s: output too large", argv[0]);
					goto out;
				}
				take = keep - 1 - len; /* a message's worth; the rest is drained */
			}
			if (len + take + 1 > cap) {
				size_t ncap = cap ? cap : 4096;
				char *nb = NULL;

				while (ncap < len + take + 1)
					ncap *= 2;
				if (!(nb = realloc(buf, ncap))) {
					err_set(e, "out of memory");
					goto out;
				}
				buf = nb;
				cap = ncap;
			}
			memcpy(buf + len, chunk, take);
			len += take;
		}
	}
	/* The command has had its input and closed its output: wait for it to exit. */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		if (clock_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			pid = -1;
			err_set(e, "%s: no answer in %d s", argv[0], WITNESS_TIMEOUT_MS / 1000);
			goto out;
		}
		nanosleep(&ts, NULL);
	}
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *said = NULL;

		if (!out && buf) {
			buf[len] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			said = text_sanitize_str(buf, 0);
		}
		err_set(e, "%s: %s %d%s%.200s", argv[0],
			WIFEXITED(status) ? "exit status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			said && *said ? ": " : "", said ? said : "");
		free(said);
		goto out;
	}
	if (out) {
		if (!buf && !(buf = calloc(1, 1))) {
			err_set(e, "out of memory");
			goto out;
		}
		buf[len] = '\0';
		*out = buf;
		buf = NULL;
	}
	rc = 0;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (po[i] >= 0)
			close(po[i]);
	}
	free(buf);
	return rc;
}

/* ---- file witnesses over SSH ---- */

/* 'text' for a POSIX shell, in a new string (caller frees). */
static char *witness_shell_quote(const char *s)
{
	size_t n = 3;
	char *q = NULL, *p = NULL;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	if (!(q = malloc(n)))
		return NULL;
	p = q;
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

struct witness_ssh_result {
	bool done;
	int exit_status;
	char *out;
	char error[256];
};

static void witness_ssh_done(void *ud, size_t host, const struct fleet_result *r)
{
	struct witness_ssh_result *res = ud;

	(void)host;
	res->done = true;
	res->exit_status = r->exit_status;
	if (r->error)
		snprintf(res->error, sizeof res->error, "%s", r->error);
	else if (r->truncated)
		snprintf(res->error, sizeof res->error, "the record file is too large to read back");
	free(res->out);
	res->out = strndup(r->out ? r->out : "", r->out_len);
}

/* True when the one host failed to connect, or waits on a key or a person. */
static bool witness_ssh_gave_up(const struct fleet *f)
{
	static const enum fleet_state stop[] = {
		FLEET_DOWN, FLEET_KEY_UNKNOWN, FLEET_KEY_CHANGED, FLEET_KEY_REJECTED,
		FLEET_AUTH_FAILED, FLEET_DISABLED,
	};
	struct fleet_status fs;

	fleet_status(f, 0, &fs);
	for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++)
		if (fs.state == stop[i])
			return true;
	return false;
}

/*
 * Runs command on the inventory host named host and waits for it. *out gets its
 * output (caller frees) when out is not NULL. Returns 0, or -1 with e set.
 */
static int witness_ssh_run(const struct witness_ssh *ssh, const char *host, const char *command,
			   char **out, struct err *e)
{
	struct inventory inv;
	struct fleet_opts o = { 0 };
	struct fleet *f = NULL;
	struct witness_ssh_result res = { 0 };
	const struct inventory_host *h = NULL;
	int timeout = ssh->timeout_ms > 0 ? ssh->timeout_ms : WITNESS_TIMEOUT_MS;
	int64_t deadline = clock_mono_ms() + timeout;
	int rc = -1;

	memset(&inv, 0, sizeof inv);
	if (!ssh->inventory || inventory_load(ssh->inventory, &inv, e))
		goto out;
	if (!(h = inventory_find(&inv, host))) {
		err_set(e, "witness host '%s' is not in %s", host, ssh->inventory);
		goto out;
	}
	o.known_hosts = ssh->known_hosts;
	o.ssh_config = ssh->ssh_config;
	o.connect_timeout_ms = timeout;
	o.auth_timeout_ms = timeout;
	o.command_timeout_ms = timeout;
	o.output_cap = WITNESS_OUT_CAP;
	if (!(f = fleet_new(&o, NULL, NULL, e)) || fleet_add(f, h, e) < 0 ||
	    fleet_run(f, 0, command, timeout, witness_ssh_done, &res, e))
		goto out;
	while (!res.done && clock_mono_ms() < deadline) {
		struct pollfd fds[2];
		size_t n = fleet_pollfds(f, fds, 2);
		int64_t next = fleet_next_deadline(f), now = clock_mono_ms();
		int wait = 200;

		if (next >= 0)
			wait = next <= now ? 0 : (int)(next - now < 200 ? next - now : 200);
		if (poll(fds, n, wait) < 0 && errno != EINTR)
			break;
		fleet_dispatch(f, fds, n);
		if (!res.done && witness_ssh_gave_up(f))
			break; /* no retrying with backoff: a witness answers now or is unreachable */
	}
	if (!res.done) {
		struct fleet_status fs;

		fleet_status(f, 0, &fs);
		err_set(e, "witness host %s: not reached (%s%s%s)", host,
			fleet_state_name(fs.state), fs.last_error ? ": " : "",
			fs.last_error ? fs.last_error : "no answer in time");
		goto out;
	}
	if (res.error[0] || res.exit_status != 0) {
		err_set(e, "witness host %s: %s", host,
			res.error[0] ? res.error : (res.out && *res.out ? res.out : "command failed"));
		goto out;
	}
	if (out) {
		*out = res.out;
		res.out = NULL;
	}
	rc = 0;
out:
	fleet_free(&f); /* calls witness_ssh_done for a command still queued */
	free(res.out);
	inventory_free(&inv);
	return rc;
}

/* ---- send ---- */

/* "ID:HASH TS OPERATOR" for the verified head in r. */
static void witness_format(const struct shiftlog_verify_result *r, char *buf, size_t len)
{
	time_t t = (time_t)(r->head_ts_ms / 1000);
	struct tm tm;
	char ts[32] = "?";

	if (gmtime_r(&t, &tm))
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "%" PRId64 ":%s %s %s", r->head_id, r->head_hash, ts, r->head_operator);
}

int witness_send(const struct witness_config *w, const struct witness_ssh *ssh,
		 struct witness_state *s, struct store *st, bool force, char *line_out,
		 struct err *e)
{
	struct shiftlog_verify_result r;
	char line[WITNESS_LINE_MAX];
	char rec[sizeof line + 2];
	struct err first = { { 0 } };
	int failed = 0;

	if (shiftlog_verify(st, &r, e))
		return -1;
	if (r.first_bad) {
		err_set(e, "the log chain is broken, nothing sent to the witnesses: %s", r.reason);
		return -1;
	}
	if (r.head_id == 0) {
		err_set(e, "the log is empty: no chain head to witness");
		return -1;
	}
	witness_format(&r, line, sizeof line);
	if (line_out)
		snprintf(line_out, WITNESS_LINE_MAX, "%s", line);
	if (!force && s->last_id == r.head_id && strcmp(s->last_hash, r.head_hash) == 0)
		return 1;
	snprintf(rec, sizeof rec, "%s\n", line);
	if (w->command && witness_run(w->command, rec, NULL, &first))
		failed++;
	for (size_t i = 0; i < w->n_files; i++) {
		struct err fe = { { 0 } };
		char *ql = witness_shell_quote(line), *qp = witness_shell_quote(w->files[i].path);
		char *cmd = NULL;

		/* printf, not echo: the line is data; >> appends, never rewrites. */
		if (!ql || !qp || asprintf(&cmd, "printf '%%s\\n' %s >> %s", ql, qp) < 0) {
			cmd = NULL;
			err_set(&fe, "out of memory");
		} else {
			witness_ssh_run(ssh, w->files[i].host, cmd, NULL, &fe);
		}
		if (fe.msg[0] && !failed++)
			first = fe;
		free(ql);
		free(qp);
		free(cmd);
	}
	s->last_sent_ms = clock_now_ms();
	if (failed) {
		err_set(e, "%s", first.msg);
		return -1;
	}
	s->last_id = r.head_id;
	snprintf(s->last_hash, sizeof s->last_hash, "%s", r.head_hash);
	return 0;
}

/* ---- verify ---- */

/* Checks every record in text (what witness `name` printed); keeps the lowest disagreement. */
static int witness_check_text(struct store *st, const char *name, char *text,
			      struct witness_verify_result *r, struct err *e)
{
	int64_t records = 0;
	int lineno = 0;

	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		struct shiftlog_anchor a;
		char why[300];
		int c;

		lineno++;
		if (!shiftlog_anchor_find(l, &a))
			continue;
		records++;
		c = shiftlog_anchor_check(st, &a, why, sizeof why, e);
		if (c < 0)
			return -1;
		if (c > 0 && (r->first_bad <= 0 || a.id < r->first_bad)) {
			r->first_bad = a.id;
			snprintf(r->reason, sizeof r->reason, "%s, record %" PRId64 " (%" PRId64
				 ":%.16s...): %s", name, records, a.id, a.hash, why);
		}
	}
	r->records += records;
	if (records == 0 && r->first_bad == 0) {
		r->first_bad = -1;
		snprintf(r->reason, sizeof r->reason, "%s has no records (it was emptied, or "
			 "nothing was sent yet: opsdeck log witness)", name);
	}
	return 0;
}

int witness_verify(const struct witness_config *w, const struct witness_ssh *ssh,
		   struct store *st, struct witness_verify_result *r, struct err *e)
{
	char *text = NULL;
	char name[600];
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (!witness_configured(w) && !w->verify_command) {
		err_set(e, "no witness configured (witness: in config.yaml)");
		return -1;
	}
	if (w->command && !w->verify_command) {
		err_set(e, "witness.command is set but witness.verify_command is not: opsdeck "
			   "cannot read back what the command recorded");
		return -1;
	}
	if (w->verify_command) {
		snprintf(name, sizeof name, "witness command %s", w->verify_command[0]);
		if (witness_run(w->verify_command, NULL, &text, e)) {
			rc = 3;
			goto out;
		}
		if (witness_check_text(st, name, text, r, e))
			goto out;
		free(text);
		text = NULL;
	}
	for (size_t i = 0; i < w->n_files; i++) {
		char *qp = witness_shell_quote(w->files[i].path);
		char *cmd = NULL;

		if (!qp || asprintf(&cmd, "cat -- %s", qp) < 0) {
			free(qp);
			err_set(e, "out of memory");
			goto out;
		}
		free(qp);
		snprintf(name, sizeof name, "witness file %s:%s", w->files[i].host,
			 w->files[i].path);
		if (witness_ssh_run(ssh, w->files[i].host, cmd, &text, e)) {
			free(cmd);
			rc = 3;
			goto out;
		}
		free(cmd);
		if (witness_check_text(st, name, text, r, e))
			goto out;
		free(text);
		text = NULL;
	}
	rc = 0;
out:
	free(text);
	return rc;
}
