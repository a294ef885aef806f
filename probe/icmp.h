/* SPDX-License-Identifier: MIT */
/* icmp.h — the icmp method through liboping, handed to the engine as opts.icmp. */
#ifndef ROAM_PROBE_ICMP_H
#define ROAM_PROBE_ICMP_H

#include "probe.h"

extern const struct roam_probe_ops probe_icmp_ops;

#endif
