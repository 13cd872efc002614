/*
 * config: config.yaml in the config folder. A missing file means defaults; a
 * malformed one is an error "file:line:col: message".
 *
 *   theme: default          # a name in themes/ or a path
 *   clock_seconds: true     # show seconds in the top-bar clocks
 *   data_poll_ms: 500       # how often the console looks for other writers
 *   inventory: ~/ops/inventory.yaml   # default: inventory.yaml in the config folder
 *   known_hosts: ~/.ssh/known_hosts   # where host keys are checked and accepted keys go
 *   ssh_config: ~/.ssh/config         # "none" to read no ssh config
 *   max_handshakes: 64      # SSH handshakes in flight at once
 *   connect_timeout_s: 10   # TCP + SSH handshake + auth, per host
 *   command_timeout_s: 30   # default per command
 *   output_cap_kib: 64      # output kept per command
 */
#ifndef OPSDECK_CONFIG_H
#define OPSDECK_CONFIG_H

#include <stdbool.h>

#include "err.h"

struct config {
	char theme[256];
	bool clock_seconds;
	int data_poll_ms; /* 100..10000 */
	char inventory[4096];   /* "" unset */
	char known_hosts[4096]; /* "" unset */
	char ssh_config[4096];  /* "" unset; "none" reads none */
	int max_handshakes;
	int connect_timeout_s;
	int command_timeout_s;
	int output_cap_kib;
};

/* Fills c with defaults. */
void config_defaults(struct config *c);

/*
 * Loads path over the defaults. A missing file returns 0 with defaults. Unknown
 * keys and bad values are errors. Returns 0, or -1 with e set (c keeps defaults
 * for whatever was not read).
 */
int config_load(const char *path, struct config *c, struct err *e);

#endif
