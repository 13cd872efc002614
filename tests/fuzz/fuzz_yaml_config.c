/*
 * fuzz_yaml_config: config.yaml (core/config.c). Any input loads or fails with a
 * message; an error always says where ("file:line:col: message" or the file).
 */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_tmp(data, size);
	struct config c;
	struct err e = { { 0 } };

	config_defaults(&c);
	if (config_load(path, &c, &e) != 0)
		FUZZ_CHECK(e.msg[0] != '\0');
	return 0;
}
