/* SPDX-License-Identifier: MIT */
/* roam-keys: prints "SECTION KEY TYPE DEFAULT" for every key of every tool's
 * table, for the test that holds etc/roam.conf and roam.conf(5) to the code. */
#include <stdio.h>

#include "config.h"

extern const struct roam_section *const roam_all_sections[];

static const char *const type_names[] = {
	[ROAM_T_STRING] = "string", [ROAM_T_INT] = "int", [ROAM_T_BOOL] = "bool",
	[ROAM_T_ENUM] = "enum", [ROAM_T_IPV4] = "ipv4", [ROAM_T_PREFIX] = "prefix",
};

int main(void)
{
	for (const struct roam_section *const *s = roam_all_sections; *s; s++)
		for (size_t k = 0; k < (*s)->nkeys; k++) {
			const struct roam_key *key = &(*s)->keys[k];

			printf("%s %s %s %s\n", (*s)->name, key->name, type_names[key->type],
			       key->def ? key->def : "-");
		}
	return 0;
}
