/*
 * fleet: non-blocking libssh sessions to many hosts, advanced by the caller's poll
 * loop. Each host is a small state machine (connect, host key, auth, up, down);
 * commands queue per host and run one at a time, each on a new channel of the
 * host's one persistent session. Nothing here blocks on the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "clock.h"
#include "fleet.h"
#include "knownhosts.h"
#include "mem.h"
#include "netconn.h"
#include "paths.h"
#include "text.h"

enum cmd_phase { CMD_QUEUED, CMD_OPEN, CMD_EXEC, CMD_READ };

struct cmd {
	struct cmd *next;
	char *command;
	int timeout_ms;
	fleet_done_fn done;
	void *ud;
	enum cmd_phase phase;
	int64_t started_mono;
	int64_t deadline_mono;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;
	char *buf;
	size_t len, cap;
	bool truncated;
	bool got_status;
	int exit_status;
	char signal[32]; /* exit-signal name, when the command was killed */
	char *cancel_why; /* cancelled while running: its error when it ends, malloc'd */
};

struct host {
	char *name, *address, *user, *identity_file;
	int port;
	enum fleet_state state;
	ssh_session s;
	struct netconn *nc;     /* resolving and TCP connecting, before libssh takes the socket */
	bool handshaking;       /* counts against max_handshakes */
	bool waiting_slot;      /* wants to connect, no handshake slot free yet */
	bool idle_data;         /* an idle session has unread data: stop polling it */
	int64_t deadline_mono;  /* connect/auth timeout, 0 none */
	int64_t next_retry_mono; /* DOWN: when to reconnect, 0 none */
	int failures;
	char *eff_address, *eff_user;
	int eff_port;
	char *fingerprint;
	char *known_line;       /* known_hosts entry for an unknown key, until decided */
	char *last_error;
	int64_t last_ok_ms;
	int64_t latency_ms;
	struct cmd *cmds, *cmds_tail; /* head runs; the rest wait */
	size_t n_cmds;
};

struct fleet {
	struct fleet_opts o;
	char *known_hosts;
	char *ssh_config; /* NULL: libssh's default files; "" none */
	fleet_event_fn ev;
	void *ev_ud;
	struct host *hosts;
	size_t n, cap;
	int handshakes;
	size_t *poll_map; /* fds index -> host index, from the last fleet_pollfds */
	size_t poll_cap, poll_n;
	unsigned rng;
	size_t resume;     /* host index the next dispatch starts from (budgeted dispatch) */
	bool backlog;      /* the last dispatch stopped with work left */
	int64_t budget_end_us; /* 0: no budget for the dispatch under way */
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* True when the dispatch under way has used its time budget. */
static bool out_of_budget(const struct fleet *f)
{
	return f->budget_end_us && mono_us() >= f->budget_end_us;
}

static const char *const state_names[] = {
	[FLEET_IDLE] = "idle",
	[FLEET_CONNECTING] = "connecting",
	[FLEET_KEY_UNKNOWN] = "key unknown",
	[FLEET_KEY_CHANGED] = "KEY CHANGED",
	[FLEET_KEY_REJECTED] = "key rejected",
	[FLEET_AUTH] = "auth",
	[FLEET_AUTH_FAILED] = "auth failed",
	[FLEET_UP] = "up",
	[FLEET_DOWN] = "down",
	[FLEET_DISABLED] = "disabled",
};

const char *fleet_state_name(enum fleet_state s)
{
	return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Replaces *dst with a copy of src (NULL clears). */
static void set_str(char **dst, const char *src)
{
	char *copy = src ? strdup(src) : NULL;

	free(*dst);
	*dst = copy;
}

/*
 * Replaces *dst with a sanitised copy of src (NULL clears). Every string that
 * came from libssh or a host (errors quote DISCONNECT reasons and version
 * banners) is stored through here, so nothing raw is ever kept to be printed.
 */
static void fleet_set_clean(char **dst, const char *src)
{
	char *copy = src ? text_sanitize_str(src, 0) : NULL;

	free(*dst);
	*dst = copy;
}

static void emit(struct fleet *f, struct host *h, enum fleet_event ev, const char *detail)
{
	char *clean = NULL;

	if (!f->ev)
		return;
	/* Details quote server replies (auth methods, fingerprints): clean them here once. */
	clean = detail ? text_sanitize_str(detail, 0) : NULL;
	f->ev(f->ev_ud, (size_t)(h - f->hosts), ev, detail && clean ? clean : detail ? "?" : NULL);
	free(clean);
}

static void set_state(struct fleet *f, struct host *h, enum fleet_state st)
{
	if (h->state == st)
		return;
	h->state = st;
	emit(f, h, FLEET_EV_STATE, fleet_state_name(st));
}

/* ---- commands ---- */

/* Delivers cmd's result and frees it. error NULL means the command ran to its end. */
static void cmd_finish(struct fleet *f, struct host *h, struct cmd *c, const char *error)
{
	struct fleet_result r;
	char *clean = NULL, *clean_error = NULL;
	char why[64];

	if (c->ch) {
		ssh_remove_channel_callbacks(c->ch, &c->cb);
		ssh_channel_close(c->ch);
		ssh_channel_free(c->ch);
		c->ch = NULL;
	}
	/* Host output is hostile until proven otherwise: sanitise once, here. */
	clean = text_sanitize(c->buf ? c->buf : "", c->len, TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS);
	memset(&r, 0, sizeof r);
	r.exit_status = (!error && c->got_status) ? c->exit_status : -1;
	r.out = clean ? clean : "";
	r.out_len = clean ? strlen(clean) : 0;
	r.truncated = c->truncated;
	/* A cancelled command ends with why it was cancelled, whatever came back. */
	if (c->cancel_why)
		error = c->cancel_why;
	/* Errors quote libssh, which quotes the host: stored and delivered sanitised. */
	clean_error = error ? text_sanitize_str(error, 0) : NULL;
	r.error = error ? (clean_error ? clean_error : "?") : NULL;
	if (!error && !c->got_status) {
		snprintf(why, sizeof why, c->signal[0] ? "killed by signal %s" : "no exit status%s",
			 c->signal);
		r.error = why;
	}
	r.elapsed_ms = c->started_mono ? clock_mono_ms() - c->started_mono : 0;
	if (!error) {
		h->latency_ms = r.elapsed_ms;
		h->last_ok_ms = clock_now_ms();
	}
	if (c->done)
		c->done(c->ud, (size_t)(h - f->hosts), &r);
	free(clean);
	free(clean_error);
	free(c->cancel_why);
	free(c->buf);
	free(c->command);
	free(c);
}

/* Removes the head command and delivers its result. */
static void pop_cmd(struct fleet *f, struct host *h, const char *error)
{
	struct cmd *c = h->cmds;

	if (!c)
		return;
	h->cmds = c->next;
	if (!h->cmds)
		h->cmds_tail = NULL;
	h->n_cmds--;
	cmd_finish(f, h, c, error);
}

/* Fails every queued command (the head included) with error. */
static void fail_all(struct fleet *f, struct host *h, const char *error)
{
	while (h->cmds)
		pop_cmd(f, h, error);
}

static void on_exit_status(ssh_session s, ssh_channel ch, int status, void *ud)
{
	struct cmd *c = ud;

	(void)s;
	(void)ch;
	c->exit_status = status;
	c->got_status = true;
}

static void on_exit_signal(ssh_session s, ssh_channel ch, const char *sig, int core,
			   const char *errmsg, const char *lang, void *ud)
{
	struct cmd *c = ud;
	char *clean = NULL;

	(void)s;
	(void)ch;
	(void)core;
	(void)errmsg;
	(void)lang;
	/* The name is the host's text: keep it only sanitised (an OSC 52 write fits in it). */
	clean = text_sanitize_str(sig ? sig : "?", 0);
	snprintf(c->signal, sizeof c->signal, "%s", clean ? clean : "?");
	free(clean);
}

/* Keeps up to output_cap bytes; the rest is read and dropped so the channel drains. */
static void cmd_keep(struct fleet *f, struct cmd *c, const char *data, size_t n)
{
	size_t room = f->o.output_cap > c->len ? f->o.output_cap - c->len : 0;

	if (n > room) {
		c->truncated = true;
		n = room;
	}
	if (n == 0)
		return;
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *nb = NULL;

		while (cap < c->len + n + 1)
			cap *= 2;
		nb = realloc(c->buf, cap);
		if (!nb) {
			c->truncated = true;
			return;
		}
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

/* ---- connection ---- */

static void close_session(struct fleet *f, struct host *h)
{
	netconn_free(&h->nc);
	if (h->handshaking) {
		h->handshaking = false;
		f->handshakes--;
	}
	if (h->s) {
		/* A head command's channel belongs to the session: free it first. */
		if (h->cmds && h->cmds->ch) {
			ssh_remove_channel_callbacks(h->cmds->ch, &h->cmds->cb);
			ssh_channel_free(h->cmds->ch);
			h->cmds->ch = NULL;
			h->cmds->phase = CMD_QUEUED;
		}
		ssh_disconnect(h->s);
		ssh_free(h->s);
		h->s = NULL;
	}
	h->deadline_mono = 0;
	h->idle_data = false;
}

/* Exponential backoff with +-20% jitter, so a fleet that fell together does not return together. */
static int64_t backoff_ms(struct fleet *f, int failures)
{
	int64_t d = f->o.backoff_min_ms;

	for (int i = 1; i < failures && d < f->o.backoff_max_ms; i++)
		d *= 2;
	if (d > f->o.backoff_max_ms)
		d = f->o.backoff_max_ms;
	f->rng = f->rng * 1103515245u + 12345u;
	return d * (80 + (int64_t)((f->rng >> 16) % 41)) / 100;
}

/* The connection failed or was lost: DOWN, queued commands fail, retry later. */
static void host_down(struct fleet *f, struct host *h, const char *why)
{
	close_session(f, h);
	fleet_set_clean(&h->last_error, why);
	h->failures++;
	h->next_retry_mono = clock_mono_ms() + backoff_ms(f, h->failures);
	set_state(f, h, FLEET_DOWN);
	fail_all(f, h, h->last_error ? h->last_error : "down");
}

/* A state an operator must resolve (key, auth): no automatic retry. */
static void host_parked(struct fleet *f, struct host *h, enum fleet_state st, const char *why)
{
	close_session(f, h);
	fleet_set_clean(&h->last_error, why);
	h->next_retry_mono = 0;
	set_state(f, h, st);
	fail_all(f, h, h->last_error ? h->last_error : fleet_state_name(st));
}

static void fill_effective(struct host *h)
{
	char *v = NULL;
	unsigned int port = 0;

	if (ssh_options_get(h->s, SSH_OPTIONS_HOST, &v) == SSH_OK) {
		fleet_set_clean(&h->eff_address, v);
		ssh_string_free_char(v);
		v = NULL;
	}
	if (ssh_options_get(h->s, SSH_OPTIONS_USER, &v) == SSH_OK) {
		fleet_set_clean(&h->eff_user, v);
		ssh_string_free_char(v);
	}
	if (ssh_options_get_port(h->s, &port) == SSH_OK)
		h->eff_port = (int)port;
}

/*
 * Sets up the session with the precedence OpenSSH users expect: the host's name
 * is looked up in ssh config (HostName, User, Port, IdentityFile), then every
 * value the inventory gives overrides it.
 */
static void fleet_ssh_why(struct host *h, const char *what, char *why, size_t whylen);

static int setup_session(struct fleet *f, struct host *h, char *why, size_t whylen)
{
	int yes = 1, no = 0;
	long timeout_s = (f->o.connect_timeout_ms + 999) / 1000;

	errno = 0;
	h->s = ssh_new();
	if (!h->s) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (ssh_options_set(h->s, SSH_OPTIONS_HOST, h->name) != SSH_OK)
		goto fail;
	if (!f->ssh_config || f->ssh_config[0]) {
		if (ssh_options_parse_config(h->s, f->ssh_config) != SSH_OK)
			goto fail;
	}
	/* ssh_connect must not parse config again: it would undo the overrides below. */
	ssh_options_set(h->s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	if ((h->address && ssh_options_set(h->s, SSH_OPTIONS_HOST, h->address) != SSH_OK) ||
	    (h->port && ssh_options_set(h->s, SSH_OPTIONS_PORT, &h->port) != SSH_OK) ||
	    (h->user && ssh_options_set(h->s, SSH_OPTIONS_USER, h->user) != SSH_OK) ||
	    (h->identity_file && ssh_options_set(h->s, SSH_OPTIONS_ADD_IDENTITY,
						 h->identity_file) != SSH_OK) ||
	    ssh_options_set(h->s, SSH_OPTIONS_KNOWNHOSTS, f->known_hosts) != SSH_OK ||
	    ssh_options_set(h->s, SSH_OPTIONS_NODELAY, &yes) != SSH_OK ||
	    ssh_options_set(h->s, SSH_OPTIONS_TIMEOUT, &timeout_s) != SSH_OK)
		goto fail;
	fill_effective(h);
	ssh_set_blocking(h->s, 0);
	return 0;
fail:
	fleet_ssh_why(h, "ssh options", why, whylen);
	return -1;
}

static void step_connect(struct fleet *f, struct host *h);

static void step_tcp(struct fleet *f, struct host *h);

static void start_connect(struct fleet *f, struct host *h)
{
	char why[512];
	struct err e = { { 0 } };

	h->waiting_slot = false;
	h->next_retry_mono = 0;
	if (setup_session(f, h, why, sizeof why)) {
		host_down(f, h, why);
		return;
	}
	/* Resolve and connect ourselves: libssh's connect would block in getaddrinfo. */
	h->nc = netconn_start(h->eff_address ? h->eff_address : h->name,
			      h->eff_port ? h->eff_port : 22, &e);
	if (!h->nc) {
		host_down(f, h, e.msg);
		return;
	}
	h->handshaking = true;
	f->handshakes++;
	h->deadline_mono = clock_mono_ms() + f->o.connect_timeout_ms;
	set_state(f, h, FLEET_CONNECTING);
	step_tcp(f, h);
}

/* The TCP part of connecting; once connected, libssh gets the socket. */
static void step_tcp(struct fleet *f, struct host *h)
{
	struct err e = { { 0 } };
	int fd;

	switch (netconn_step(h->nc, &e)) {
	case NETCONN_PENDING:
		return;
	case NETCONN_FAILED:
		host_down(f, h, e.msg);
		return;
	case NETCONN_CONNECTED:
		break;
	}
	fd = netconn_take_fd(h->nc);
	netconn_free(&h->nc);
	/* From here libssh owns the socket and closes it with the session. */
	if (ssh_options_set(h->s, SSH_OPTIONS_FD, &fd) != SSH_OK) {
		close(fd);
		host_down(f, h, "ssh: cannot take the connected socket");
		return;
	}
	step_connect(f, h);
}

/* Queues a connect; it starts now if a handshake slot is free. */
static void want_connect(struct fleet *f, struct host *h)
{
	if (f->handshakes < f->o.max_handshakes)
		start_connect(f, h);
	else
		h->waiting_slot = true;
}

/* Reads the server's key fingerprint; NULL on failure (malloc'd). */
static char *server_fingerprint(ssh_session s)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL, *out = NULL;

	if (ssh_get_server_publickey(s, &key) != SSH_OK)
		goto out;
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0)
		goto out;
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	out = xstrdup(fp);
out:
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return out;
}

/*
 * libssh reads a known_hosts it cannot open or read (EACCES, EISDIR, EMFILE) as
 * empty, so every key would look unknown and a changed one could be accepted.
 * Returns 0 when path is readable or does not exist (then every key is unknown),
 * else -1 with why set.
 */
static int fleet_known_hosts_readable(const char *path, char *why, size_t whylen)
{
	struct stat sb;
	char b;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int rc = -1;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "known_hosts %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0)
		snprintf(why, whylen, "known_hosts %s: %s", path, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		snprintf(why, whylen, "known_hosts %s: not a regular file", path);
	else if (read(fd, &b, 1) < 0)
		snprintf(why, whylen, "known_hosts %s: %s", path, strerror(errno));
	else
		rc = 0;
	close(fd);
	return rc;
}

/*
 * "what: libssh's error". libssh words running out of descriptors as it likes
 * ("Couldn't apply options"); errno still says what it was, so it is named too.
 */
static void fleet_ssh_why(struct host *h, const char *what, char *why, size_t whylen)
{
	int saved = errno;

	if (saved == EMFILE || saved == ENFILE)
		snprintf(why, whylen, "%s: %s (%s)", what, ssh_get_error(h->s), strerror(saved));
	else
		snprintf(why, whylen, "%s: %s", what, ssh_get_error(h->s));
}

/* Handshake done: is this the key we know? */
static void check_host_key(struct fleet *f, struct host *h)
{
	enum ssh_known_hosts_e k = SSH_KNOWN_HOSTS_ERROR;
	char *fp = server_fingerprint(h->s);
	char *line = NULL;
	char why[PATHS_MAX + 300];

	if (fleet_known_hosts_readable(f->known_hosts, why, sizeof why) != 0) {
		/* Refused, never "unknown": an unreadable file proves nothing about the key. */
		fleet_set_clean(&h->fingerprint, fp);
		fill_effective(h);
		strncat(why, "; host refused", sizeof why - strlen(why) - 1);
		host_parked(f, h, FLEET_KEY_REJECTED, why);
		free(fp);
		return;
	}
	errno = 0;
	k = ssh_session_is_known_server(h->s);
	fleet_set_clean(&h->fingerprint, fp);
	fill_effective(h); /* the user is only final once connected */
	switch (k) {
	case SSH_KNOWN_HOSTS_OK:
		h->deadline_mono = clock_mono_ms() + f->o.auth_timeout_ms;
		set_state(f, h, FLEET_AUTH);
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		/* Never accepted here: a changed key may be an attacker in the middle. */
		snprintf(why, sizeof why, "host key changed: server offers %s, known_hosts "
			 "has another; refused", fp ? fp : "?");
		emit(f, h, FLEET_EV_KEY_CHANGED, fp ? fp : "?");
		host_parked(f, h, FLEET_KEY_CHANGED, why);
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		/* Keep the entry to write if accepted; drop the connection meanwhile, so a
		 * decision that takes minutes holds nothing open on the server. */
		if (ssh_session_export_known_hosts_entry(h->s, &line) == SSH_OK) {
			set_str(&h->known_line, line);
			ssh_string_free_char(line);
		}
		snprintf(why, sizeof why, "host key unknown: %s (accept or reject it)",
			 fp ? fp : "?");
		emit(f, h, FLEET_EV_KEY_UNKNOWN, fp ? fp : "?");
		host_parked(f, h, FLEET_KEY_UNKNOWN, why);
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		/* Any error of the check refuses the host with it (no retry, never unknown). */
		snprintf(why, sizeof why, "known_hosts %s: %s; host refused", f->known_hosts,
			 errno == EMFILE ? strerror(EMFILE) : ssh_get_error(h->s));
		host_parked(f, h, FLEET_KEY_REJECTED, why);
	}
	free(fp);
}

static void step_connect(struct fleet *f, struct host *h)
{
	char why[512];
	int rc;

	errno = 0;
	rc = ssh_connect(h->s);
	if (rc == SSH_AGAIN)
		return;
	if (rc != SSH_OK) {
		fleet_ssh_why(h, "connect", why, sizeof why);
		host_down(f, h, why);
		return;
	}
	check_host_key(f, h);
}

static bool session_dead(const struct host *h);

static void step_auth(struct fleet *f, struct host *h)
{
	char why[512];
	int rc = ssh_userauth_publickey_auto(h->s, NULL, NULL);
	int methods = 0;

	switch (rc) {
	case SSH_AUTH_AGAIN:
		/* A DISCONNECT (or a close) while authenticating leaves libssh saying
		 * "again" with no socket left to poll: end it now, with libssh's reason. */
		if (session_dead(h)) {
			snprintf(why, sizeof why, "auth: %s", ssh_get_error(h->s));
			host_down(f, h, why);
		}
		return;
	case SSH_AUTH_SUCCESS:
		h->handshaking = false;
		f->handshakes--;
		h->deadline_mono = 0;
		h->failures = 0;
		set_str(&h->last_error, NULL);
		set_state(f, h, FLEET_UP);
		return;
	case SSH_AUTH_DENIED:
	case SSH_AUTH_PARTIAL:
		methods = ssh_userauth_list(h->s, NULL);
		snprintf(why, sizeof why, "authentication refused for %s (server allows:%s%s%s); "
			 "none of our keys (agent, identity files) was accepted",
			 h->eff_user ? h->eff_user : "?",
			 methods & SSH_AUTH_METHOD_PUBLICKEY ? " publickey" : "",
			 methods & SSH_AUTH_METHOD_PASSWORD ? " password" : "",
			 methods & SSH_AUTH_METHOD_INTERACTIVE ? " keyboard-interactive" : "");
		emit(f, h, FLEET_EV_AUTH_FAILED, why);
		host_parked(f, h, FLEET_AUTH_FAILED, why);
		return;
	default:
		snprintf(why, sizeof why, "auth: %s", ssh_get_error(h->s));
		host_down(f, h, why);
	}
}

/* ---- running commands on an open session ---- */

/*
 * True when libssh has seen the connection end. It then closes the socket itself,
 * so such a session must be noticed here: it no longer has an fd to poll.
 */
static bool session_dead(const struct host *h)
{
	return !h->s || !ssh_is_connected(h->s) || ssh_get_fd(h->s) == SSH_INVALID_SOCKET ||
	       (ssh_get_status(h->s) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

/* Reads everything libssh has for the head command; finishes it at end of stream. */
static void read_cmd(struct fleet *f, struct host *h, struct cmd *c)
{
	char buf[16384];

	for (;;) {
		int got = 0;

		for (int is_stderr = 0; is_stderr <= 1; is_stderr++) {
			int n = ssh_channel_read_nonblocking(c->ch, buf, sizeof buf, is_stderr);

			if (n == SSH_ERROR) {
				char why[300];

				snprintf(why, sizeof why, "connection lost: %s", ssh_get_error(h->s));
				host_down(f, h, why);
				return;
			}
			if (n > 0) {
				cmd_keep(f, c, buf, (size_t)n);
				got = 1;
			}
		}
		if (!got)
			break;
	}
	/*
	 * After EOF, libssh's reads return early without reading the socket, so the
	 * exit-status and close that follow would sit unread (and poll would keep
	 * saying "readable"). ssh_channel_get_exit_status processes what is there
	 * without waiting on a non-blocking session; the callback records the status,
	 * and a session error shows in ssh_is_connected.
	 */
	if (ssh_channel_is_eof(c->ch) && !c->got_status && !c->signal[0])
		(void)ssh_channel_get_exit_status(c->ch); /* -1 means "not yet" as well as error */
	if (session_dead(h)) {
		char why[300];

		snprintf(why, sizeof why, "connection lost: %s", ssh_get_error(h->s));
		host_down(f, h, why);
		return;
	}
	if ((ssh_channel_is_eof(c->ch) && (c->got_status || c->signal[0])) ||
	    ssh_channel_is_closed(c->ch))
		pop_cmd(f, h, NULL);
}

/* Advances the head command through open, exec and read. Returns after SSH_AGAIN. */
static void step_cmd(struct fleet *f, struct host *h)
{
	char why[300];

	while (h->state == FLEET_UP && h->cmds) {
		struct cmd *c = h->cmds;
		int rc;

		switch (c->phase) {
		case CMD_QUEUED:
			c->ch = ssh_channel_new(h->s);
			if (!c->ch) {
				snprintf(why, sizeof why, "channel: %s", ssh_get_error(h->s));
				host_down(f, h, why);
				return;
			}
			ssh_callbacks_init(&c->cb);
			c->cb.userdata = c;
			c->cb.channel_exit_status_function = on_exit_status;
			c->cb.channel_exit_signal_function = on_exit_signal;
			ssh_set_channel_callbacks(c->ch, &c->cb);
			c->started_mono = clock_mono_ms();
			c->deadline_mono = c->started_mono + c->timeout_ms;
			c->phase = CMD_OPEN;
			/* fall through */
		case CMD_OPEN:
			rc = ssh_channel_open_session(c->ch);
			if (rc == SSH_AGAIN)
				return;
			if (rc != SSH_OK) {
				snprintf(why, sizeof why, "open channel: %s", ssh_get_error(h->s));
				host_down(f, h, why);
				return;
			}
			c->phase = CMD_EXEC;
			/* fall through */
		case CMD_EXEC:
			rc = ssh_channel_request_exec(c->ch, c->command);
			if (rc == SSH_AGAIN)
				return;
			if (rc != SSH_OK) {
				/* The session is fine; this command was refused. */
				snprintf(why, sizeof why, "exec refused: %s", ssh_get_error(h->s));
				pop_cmd(f, h, why);
				continue;
			}
			c->phase = CMD_READ;
			/* fall through */
		case CMD_READ:
			read_cmd(f, h, c);
			if (h->cmds == c)
				return; /* still running */
		}
	}
}

/* An idle session became readable: a closed socket means the host went away. */
static void check_idle(struct fleet *f, struct host *h, short revents)
{
	char b;
	ssize_t n = recv(ssh_get_fd(h->s), &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
	    (revents & (POLLHUP | POLLERR))) {
		host_down(f, h, n == 0 ? "connection closed by the host" : "connection lost");
		return;
	}
	/* Data on an idle session (a server keepalive): libssh reads it with the next
	 * command; until then stop polling it, or poll would report it forever. */
	h->idle_data = n > 0;
}

/* Runs whatever host h can do now. revents: its fd's poll result (0 for timers). */
static void step_host(struct fleet *f, struct host *h, short revents)
{
	int64_t now = clock_mono_ms();
	char why[160];

	switch (h->state) {
	case FLEET_CONNECTING:
	case FLEET_AUTH:
		if (h->deadline_mono && now >= h->deadline_mono) {
			snprintf(why, sizeof why, "%s timed out after %d ms",
				 h->state == FLEET_CONNECTING ? "connect" : "authentication",
				 h->state == FLEET_CONNECTING ? f->o.connect_timeout_ms :
								f->o.auth_timeout_ms);
			host_down(f, h, why);
			return;
		}
		if (h->state == FLEET_CONNECTING && h->nc)
			step_tcp(f, h);
		else if (h->state == FLEET_CONNECTING)
			step_connect(f, h);
		if (h->state == FLEET_AUTH)
			step_auth(f, h);
		if (h->state == FLEET_UP)
			step_cmd(f, h);
		return;
	case FLEET_UP:
		if (session_dead(h)) {
			host_down(f, h, "connection closed by the host");
			return;
		}
		if (h->cmds && h->cmds->phase != CMD_QUEUED && now >= h->cmds->deadline_mono) {
			snprintf(why, sizeof why, "timed out after %d ms", h->cmds->timeout_ms);
			pop_cmd(f, h, why);
		}
		if (h->cmds)
			step_cmd(f, h);
		else if (revents & (POLLIN | POLLHUP | POLLERR))
			check_idle(f, h, revents);
		if (h->state == FLEET_UP && session_dead(h))
			host_down(f, h, "connection closed by the host");
		return;
	case FLEET_IDLE:
		if (h->cmds && !h->waiting_slot)
			want_connect(f, h);
		return;
	case FLEET_DOWN:
		if (h->next_retry_mono && now >= h->next_retry_mono && !h->waiting_slot)
			want_connect(f, h);
		else if (h->cmds)
			fail_all(f, h, h->last_error ? h->last_error : "down");
		return;
	case FLEET_KEY_UNKNOWN:
	case FLEET_KEY_CHANGED:
	case FLEET_KEY_REJECTED:
	case FLEET_AUTH_FAILED:
	case FLEET_DISABLED:
		if (h->cmds)
			fail_all(f, h, h->last_error ? h->last_error : fleet_state_name(h->state));
		return;
	}
}

/* Starts waiting connects while handshake slots are free (and budget lasts). */
static void fill_slots(struct fleet *f)
{
	for (size_t i = 0; i < f->n && f->handshakes < f->o.max_handshakes; i++) {
		if (!f->hosts[i].waiting_slot)
			continue;
		if (out_of_budget(f)) {
			f->backlog = true;
			return;
		}
		start_connect(f, &f->hosts[i]);
	}
}

/* ---- public API ---- */

long fleet_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort: the check below says what is left */
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return -1;
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)LONG_MAX ? LONG_MAX :
										 (long)rl.rlim_cur;
}

long fleet_fds_needed(const struct fleet *f)
{
	/* One socket per host, plus the store, the terminal, libssh's files and slack. */
	return (long)f->n + FLEET_FD_RESERVE;
}

struct fleet *fleet_new(const struct fleet_opts *o, fleet_event_fn ev, void *ev_ud, struct err *e)
{
	struct fleet *f = calloc(1, sizeof *f);
	struct paths p;

	if (!f) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (o)
		f->o = *o;
	if (f->o.max_handshakes <= 0)
		f->o.max_handshakes = 64;
	if (f->o.connect_timeout_ms <= 0)
		f->o.connect_timeout_ms = 10000;
	if (f->o.auth_timeout_ms <= 0)
		f->o.auth_timeout_ms = 10000;
	if (f->o.command_timeout_ms <= 0)
		f->o.command_timeout_ms = 30000;
	if (f->o.output_cap == 0)
		f->o.output_cap = 65536;
	if (f->o.backoff_min_ms <= 0)
		f->o.backoff_min_ms = 1000;
	if (f->o.backoff_max_ms < f->o.backoff_min_ms)
		f->o.backoff_max_ms = 60000 > f->o.backoff_min_ms ? 60000 : f->o.backoff_min_ms;
	if (o && o->known_hosts) {
		f->known_hosts = strdup(o->known_hosts);
	} else if (paths_resolve(&p, NULL, e) == 0) {
		f->known_hosts = strdup(p.known_hosts);
	} else {
		free(f);
		return NULL;
	}
	f->ssh_config = o && o->ssh_config ? strdup(o->ssh_config) : NULL;
	if (!f->known_hosts || (o && o->ssh_config && !f->ssh_config)) {
		err_set(e, "out of memory");
		fleet_free(&f);
		return NULL;
	}
	f->o.known_hosts = f->known_hosts;
	f->o.ssh_config = f->ssh_config;
	f->ev = ev;
	f->ev_ud = ev_ud;
	(void)fleet_raise_fd_limit();
	f->rng = (unsigned)getpid() ^ (unsigned)clock_mono_ms();
	return f;
}

void fleet_free(struct fleet **fp)
{
	struct fleet *f = fp ? *fp : NULL;

	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		struct host *h = &f->hosts[i];

		close_session(f, h);
		fail_all(f, h, "opsdeck is shutting down");
		free(h->name);
		free(h->address);
		free(h->user);
		free(h->identity_file);
		free(h->eff_address);
		free(h->eff_user);
		free(h->fingerprint);
		free(h->known_line);
		free(h->last_error);
	}
	free(f->hosts);
	free(f->poll_map);
	free(f->known_hosts);
	free(f->ssh_config);
	free(f);
	*fp = NULL;
}

int fleet_add(struct fleet *f, const struct inventory_host *ih, struct err *e)
{
	struct host *h = NULL;

	if (f->n == f->cap) {
		struct host *nh = mem_grow(f->hosts, &f->cap, f->n, sizeof *nh);

		if (!nh) {
			err_set(e, "out of memory");
			return -1;
		}
		f->hosts = nh;
	}
	h = &f->hosts[f->n];
	memset(h, 0, sizeof *h);
	h->name = xstrdup(ih->name);
	h->address = xstrdup(ih->address);
	h->user = xstrdup(ih->user);
	h->identity_file = xstrdup(ih->identity_file);
	h->port = ih->port;
	h->latency_ms = -1;
	h->state = ih->lifecycle == INV_DECOMMISSIONED ? FLEET_DISABLED : FLEET_IDLE;
	if (!h->name || (ih->address && !h->address) || (ih->user && !h->user) ||
	    (ih->identity_file && !h->identity_file)) {
		free(h->name);
		free(h->address);
		free(h->user);
		free(h->identity_file);
		err_set(e, "out of memory");
		return -1;
	}
	if (h->state == FLEET_DISABLED)
		h->last_error = strdup("decommissioned");
	return (int)f->n++;
}

size_t fleet_count(const struct fleet *f)
{
	return f->n;
}

void fleet_status(const struct fleet *f, size_t i, struct fleet_status *out)
{
	const struct host *h = &f->hosts[i];

	memset(out, 0, sizeof *out);
	out->state = h->state;
	out->name = h->name;
	out->address = h->eff_address ? h->eff_address : (h->address ? h->address : h->name);
	out->port = h->eff_port ? h->eff_port : (h->port ? h->port : 22);
	out->user = h->eff_user ? h->eff_user : h->user;
	out->fingerprint = h->fingerprint;
	out->last_error = h->last_error;
	out->last_ok_ms = h->last_ok_ms;
	out->latency_ms = h->latency_ms;
	out->next_retry_mono = h->next_retry_mono;
	out->failures = h->failures;
}

int fleet_run(struct fleet *f, size_t i, const char *command, int timeout_ms, fleet_done_fn done,
	      void *ud, struct err *e)
{
	struct host *h = NULL;
	struct cmd *c = NULL;

	if (i >= f->n) {
		err_set(e, "no host #%zu", i);
		return -1;
	}
	h = &f->hosts[i];
	c = calloc(1, sizeof *c);
	if (!c || !(c->command = strdup(command))) {
		free(c);
		err_set(e, "out of memory");
		return -1;
	}
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : f->o.command_timeout_ms;
	c->done = done;
	c->ud = ud;
	if (h->cmds_tail)
		h->cmds_tail->next = c;
	else
		h->cmds = c;
	h->cmds_tail = c;
	h->n_cmds++;
	/* Work starts on the next dispatch (fleet_next_deadline says "now"), so done
	 * never runs inside fleet_run. */
	return 0;
}

size_t fleet_pending(const struct fleet *f, size_t i)
{
	return i < f->n ? f->hosts[i].n_cmds : 0;
}

void fleet_connect(struct fleet *f, size_t i)
{
	struct host *h = i < f->n ? &f->hosts[i] : NULL;

	if (!h || h->state == FLEET_DISABLED || h->s || h->waiting_slot)
		return;
	h->failures = 0;
	want_connect(f, h);
}

void fleet_disconnect(struct fleet *f, size_t i)
{
	struct host *h = i < f->n ? &f->hosts[i] : NULL;

	if (!h || h->state == FLEET_DISABLED)
		return;
	h->waiting_slot = false;
	close_session(f, h);
	h->next_retry_mono = 0;
	set_state(f, h, FLEET_IDLE);
	fail_all(f, h, "disconnected");
	fill_slots(f);
}

int fleet_accept_key(struct fleet *f, size_t i, struct err *e)
{
	struct host *h = i < f->n ? &f->hosts[i] : NULL;

	if (!h || h->state != FLEET_KEY_UNKNOWN || !h->known_line) {
		err_set(e, "%s is not waiting for a host key decision", h ? h->name : "host");
		return -1;
	}
	if (knownhosts_append(f->known_hosts, h->known_line, e))
		return -1;
	set_str(&h->known_line, NULL);
	emit(f, h, FLEET_EV_KEY_ACCEPTED, h->fingerprint ? h->fingerprint : "?");
	set_str(&h->last_error, NULL);
	h->failures = 0;
	set_state(f, h, FLEET_IDLE);
	want_connect(f, h);
	return 0;
}

int fleet_reject_key(struct fleet *f, size_t i, struct err *e)
{
	struct host *h = i < f->n ? &f->hosts[i] : NULL;
	char why[200];

	if (!h || h->state != FLEET_KEY_UNKNOWN) {
		err_set(e, "%s is not waiting for a host key decision", h ? h->name : "host");
		return -1;
	}
	set_str(&h->known_line, NULL);
	emit(f, h, FLEET_EV_KEY_REJECTED, h->fingerprint ? h->fingerprint : "?");
	snprintf(why, sizeof why, "host key %s rejected by the operator",
		 h->fingerprint ? h->fingerprint : "?");
	host_parked(f, h, FLEET_KEY_REJECTED, why);
	return 0;
}

int fleet_accept_keys_from(struct fleet *f, const char *path, struct err *e)
{
	FILE *in = fopen(path, "re");
	char line[1024];
	int accepted = 0;
	int lineno = 0;

	if (!in) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, in)) {
		char name[256] = "", fp[256] = "";
		int n;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		n = sscanf(line, "%255s %255s", name, fp);
		if (n == 1) {
			memcpy(fp, name, sizeof fp);
			name[0] = '\0';
		}
		if (n < 1 || strncmp(fp, "SHA256:", 7) != 0) {
			err_set(e, "%s:%d:1: expected 'NAME SHA256:...' or 'SHA256:...'", path, lineno);
			fclose(in);
			return -1;
		}
		for (size_t i = 0; i < f->n; i++) {
			struct host *h = &f->hosts[i];

			if (h->state != FLEET_KEY_UNKNOWN || !h->fingerprint ||
			    strcmp(h->fingerprint, fp) != 0 || (name[0] && strcmp(name, h->name) != 0))
				continue;
			if (fleet_accept_key(f, i, e)) {
				fclose(in);
				return -1;
			}
			accepted++;
		}
	}
	fclose(in);
	return accepted;
}

void fleet_cancel_all(struct fleet *f, const char *signal, const char *why, int grace_ms)
{
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < f->n; i++) {
		struct host *h = &f->hosts[i];
		struct cmd *c = h->cmds;

		/* Already signalled and given its grace: left to end or to a later call. */
		if (c && c->cancel_why && grace_ms > 0)
			continue;
		/* Only a command that was sent has a remote process to signal. */
		if (signal && c && c->ch && c->phase == CMD_READ && h->s && h->state == FLEET_UP &&
		    !c->cancel_why && ssh_channel_request_send_signal(c->ch, signal) == SSH_OK &&
		    grace_ms > 0 && (c->cancel_why = strdup(why))) {
			/* It stays the head until the host reports its end (or the grace
			 * passes), so the close follows the signal on the wire. */
			if (c->deadline_mono > now + grace_ms)
				c->deadline_mono = now + grace_ms;
			while (c->next) {
				struct cmd *rest = c->next;

				c->next = rest->next;
				if (!c->next)
					h->cmds_tail = c;
				h->n_cmds--;
				cmd_finish(f, h, rest, why);
			}
		} else {
			fail_all(f, h, why); /* closes the head's channel (cmd_finish) */
		}
		if (h->handshaking || h->waiting_slot || h->nc) {
			/* A connect still under way has nothing left to do for anyone. */
			h->waiting_slot = false;
			close_session(f, h);
			fleet_set_clean(&h->last_error, why);
			h->next_retry_mono = 0;
			set_state(f, h, FLEET_DOWN);
			fail_all(f, h, why);
		}
	}
}

/* ---- the loop ---- */

size_t fleet_pollfds(struct fleet *f, struct pollfd *fds, size_t max)
{
	size_t n = 0;

	if (f->poll_cap < f->n) {
		size_t *m = realloc(f->poll_map, f->n * sizeof *m);

		if (!m)
			return 0; /* timers still run; the next call tries again */
		f->poll_map = m;
		f->poll_cap = f->n;
	}
	for (size_t i = 0; i < f->n && n < max; i++) {
		struct host *h = &f->hosts[i];
		socket_t fd;
		int want;
		short ev = 0;

		if (h->nc) {
			/* Connecting our own socket: writable means connected (or refused). */
			if (netconn_fd(h->nc) < 0)
				continue; /* still resolving: a timer looks at it */
			fds[n].fd = netconn_fd(h->nc);
			fds[n].events = POLLOUT;
			fds[n].revents = 0;
			f->poll_map[n++] = i;
			continue;
		}
		if (!h->s || (h->state == FLEET_UP && !h->cmds && h->idle_data))
			continue;
		fd = ssh_get_fd(h->s);
		if (fd == SSH_INVALID_SOCKET)
			continue;
		want = ssh_get_poll_flags(h->s);
		if (want & SSH_READ_PENDING)
			ev |= POLLIN;
		if (want & SSH_WRITE_PENDING)
			ev |= POLLOUT;
		/* An idle session is only read, so a host that goes away is noticed. Its
		 * write flag may stay set with nothing to send: polling for POLLOUT
		 * would wake the loop at once, over and over (measured: a busy loop
		 * while the other hosts of a round were still working). */
		if (h->state == FLEET_UP && !h->cmds)
			ev = POLLIN;
		else if (h->state == FLEET_UP || ev == 0)
			ev |= POLLIN;
		fds[n].fd = fd;
		fds[n].events = ev;
		fds[n].revents = 0;
		f->poll_map[n] = i;
		n++;
	}
	f->poll_n = n;
	return n;
}

/* Is host h due for a timer step now? */
static bool host_due(const struct host *h, int64_t now)
{
	/* Handshakes move on fd events only; stepping them here too would make
	 * every dispatch cost O(hosts connecting). */
	bool shaking = h->state == FLEET_CONNECTING || h->state == FLEET_AUTH;

	return (h->state == FLEET_UP && session_dead(h)) ||
	       (h->nc && netconn_resolving(h->nc)) ||
	       (h->deadline_mono && now >= h->deadline_mono) ||
	       (h->next_retry_mono && now >= h->next_retry_mono) ||
	       (h->cmds && !shaking && !h->waiting_slot &&
		(h->state != FLEET_UP || h->cmds->phase == CMD_QUEUED ||
		 now >= h->cmds->deadline_mono));
}

/*
 * Hosts are visited in a ring starting at f->resume, fds first then timers. When
 * the budget runs out, the next call starts from the first host not visited; a
 * skipped host's fd is still readable, so the next poll reports it again.
 */
void fleet_dispatch(struct fleet *f, const struct pollfd *fds, size_t n)
{
	int64_t now = clock_mono_ms();
	size_t start = f->n ? f->resume % f->n : 0;

	f->backlog = false;
	f->budget_end_us = f->o.dispatch_budget_us ? mono_us() + f->o.dispatch_budget_us : 0;
	/* fds are in host order (fleet_pollfds); two passes make the ring. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < n && k < f->poll_n; k++) {
			size_t i = f->poll_map[k];
			struct host *h = &f->hosts[i];

			if ((pass == 0) != (i >= start) || !fds[k].revents || (!h->nc && !h->s))
				continue;
			if (out_of_budget(f)) {
				f->resume = i;
				f->backlog = true;
				goto out;
			}
			/* The fd may have changed hands (netconn to libssh) or closed since
			 * fleet_pollfds; step_host looks at the host's state, not the fd. */
			step_host(f, h, fds[k].revents);
		}
	}
	for (size_t j = 0; j < f->n; j++) {
		size_t i = (start + j) % f->n;

		if (!host_due(&f->hosts[i], now))
			continue;
		if (out_of_budget(f)) {
			f->resume = i;
			f->backlog = true;
			goto out;
		}
		step_host(f, &f->hosts[i], 0);
	}
	fill_slots(f);
	if (!f->backlog)
		f->resume = 0;
out:
	f->budget_end_us = 0;
	f->poll_n = 0;
}

int64_t fleet_next_deadline(const struct fleet *f)
{
	int64_t best = -1;

	if (f->backlog)
		return clock_mono_ms();

	for (size_t i = 0; i < f->n; i++) {
		const struct host *h = &f->hosts[i];
		int64_t t[3] = { h->deadline_mono, h->next_retry_mono,
				 h->cmds && h->cmds->phase != CMD_QUEUED ? h->cmds->deadline_mono : 0 };

		if (h->nc && netconn_resolving(h->nc)) {
			int64_t soon = clock_mono_ms() + NETCONN_POLL_MS;

			if (best < 0 || soon < best)
				best = soon;
		}
		/* Work that can start now (queued on a connected host, failures to deliver). */
		if (h->cmds && !h->waiting_slot &&
		    (h->state != FLEET_UP || h->cmds->phase == CMD_QUEUED) &&
		    h->state != FLEET_CONNECTING && h->state != FLEET_AUTH)
			return clock_mono_ms();
		for (int k = 0; k < 3; k++)
			if (t[k] && (best < 0 || t[k] < best))
				best = t[k];
	}
	return best;
}

bool fleet_busy(const struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->hosts[i].cmds || f->hosts[i].handshaking || f->hosts[i].waiting_slot)
			return true;
	return false;
}
