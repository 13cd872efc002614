/*
 * fuzz_yaml_keys: keys.yaml (core/keymap.c) over a small table of actions in a
 * global and a view context, so clashes and unknown actions are reachable. It
 * applies or fails with a message and a count of problems.
 */
#include "fuzz.h"
#include "keymap.h"

/* Names in the console's style; the loader knows no more than this table. */
static const struct keymap_action fuzz_keys_actions[] = {
	{"quit", "global", "q", "Quit"},
	{"help", "global", "? F1", "Help"},
	{"back", "global", "Esc", "Back"},
	{"tab-next", "global", "Tab", "Next view"},
	{"log.up", "log", "Up k", "Up"},
	{"log.down", "log", "Down j", "Down"},
	{"log.search", "log", "/", "Search"},
	{"hosts.up", "hosts", "Up k", "Up"},
	{"hosts.exec", "hosts", "x C-x", "Run a command"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_tmp(data, size);
	struct err e = { { 0 } };
	struct keymap *km = keymap_new(fuzz_keys_actions,
				       sizeof fuzz_keys_actions / sizeof fuzz_keys_actions[0], &e);
	int problems = 0;

	FUZZ_CHECK(km != NULL);
	if (keymap_load_file(km, path, &problems, &e) != 0)
		FUZZ_CHECK(e.msg[0] != '\0' && problems > 0);
	else
		FUZZ_CHECK(problems == 0);
	keymap_free(&km);
	return 0;
}
