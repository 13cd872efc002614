/*
 * fuzz_yaml_theme: a theme file (core/theme.c). It loads or fails with a message;
 * every colour it keeps is the default or 0-255.
 */
#include "fuzz.h"
#include "theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_tmp(data, size);
	struct theme t;
	struct err e = { { 0 } };

	if (theme_load_file(path, &t, &e) != 0)
		FUZZ_CHECK(e.msg[0] != '\0');
	for (int r = 0; r < ROLE__COUNT; r++) {
		FUZZ_CHECK(t.role[r].fg >= THEME_COLOR_DEFAULT && t.role[r].fg <= 255);
		FUZZ_CHECK(t.role[r].bg >= THEME_COLOR_DEFAULT && t.role[r].bg <= 255);
	}
	return 0;
}
