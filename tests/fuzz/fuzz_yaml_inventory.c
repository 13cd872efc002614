/*
 * fuzz_yaml_inventory: the inventory loader (core/inventory.c), opsdeck and
 * Ansible forms, with host ranges. It loads or fails with a message, and frees
 * everything either way (LeakSanitizer checks).
 */
#include "fuzz.h"
#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_tmp(data, size);
	struct inventory inv = { 0 };
	struct err e = { { 0 } };

	if (inventory_load(path, &inv, &e) != 0)
		FUZZ_CHECK(e.msg[0] != '\0');
	for (size_t i = 0; i < inv.n_hosts; i++)
		FUZZ_CHECK(inventory_find(&inv, inv.hosts[i].name) != NULL);
	inventory_free(&inv);
	return 0;
}
