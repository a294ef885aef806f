/* SPDX-License-Identifier: MIT */
/* icmp.h — the icmp method through liboping, handed to the engine as opts.icmp. */
#ifndef ROAM_PROBE_ICMP_H
#define ROAM_PROBE_ICMP_H

#include "probe.h"

extern const struct roam_probe_ops probe_icmp_ops;

/* Opens liboping's raw socket, kept for the run; call it while CAP_NET_RAW
 * is held, before dropping it. False when there is none (the method then
 * declines with the reason); never fatal: auto goes on to dgram or tcp. */
bool probe_icmp_open(void);
void probe_icmp_close(void);

#endif
