/* SPDX-License-Identifier: MIT */
/* roam-tunnel-lab: roam-tunnel for lab tests on a kernel without ipip. The link
 * [tunnel] name must exist already (a veth stands in for it); addresses, routes,
 * rules, proxy neighbours and ip_forward are managed exactly as by roam-tunnel.
 * Never installed. */
#include "../tunnel/tunnel.h"

int main(int argc, char **argv)
{
	return tunnel_cli(argc, argv, TUNNEL_CLI_EXISTING_LINK);
}
