/* SPDX-License-Identifier: MIT */
/* roam-tunnel — declarative, idempotent IPIP tunnel for roam's gateway and mobile. */
#include "tunnel.h"

int main(int argc, char **argv)
{
	return tunnel_cli(argc, argv, 0);
}
