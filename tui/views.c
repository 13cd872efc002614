/*
 * views: the registry of the console's views, in tab order. A new view is its own
 * files (a struct view_class that declares its actions) plus one line here.
 */
#include "view.h"

const struct view_class *const view_registry[] = {
	&view_hosts_class,
	&view_incidents_class,
	&view_log_class,
};
const size_t view_registry_n = sizeof view_registry / sizeof view_registry[0];

const struct view_class *const view_home_without_fleet = &view_log_class;
