/*
 * fuzz_yaml_incidents: incidents.yaml (core/incident_config.c). It loads or fails
 * with a message; what it keeps is in bounds (1..8 levels, severities 1..4).
 */
#include "fuzz.h"
#include "incident_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_tmp(data, size);
	struct incident_config c;
	struct err e = { { 0 } };

	incident_config_defaults(&c);
	if (incident_config_load(path, &c, &e) != 0)
		FUZZ_CHECK(e.msg[0] != '\0');
	FUZZ_CHECK(c.n_levels >= 1 && c.n_levels <= INCIDENT_MAX_LEVELS);
	FUZZ_CHECK(c.alert_severity >= 1 && c.alert_severity <= INCIDENT_N_SEV);
	return 0;
}
