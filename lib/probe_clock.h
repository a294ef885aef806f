/* SPDX-License-Identifier: MIT */
/* probe_clock.h — the monotonic clock and the poll timeout the probe engines share (private). */
#ifndef ROAM_PROBE_CLOCK_H
#define ROAM_PROBE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* microseconds on CLOCK_MONOTONIC: immune to the wall clock being set */
static inline uint64_t roam_probe_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* a poll/epoll timeout in ms that never wakes before `until` (rounds up) */
static inline int roam_probe_wait_ms(uint64_t until)
{
	uint64_t now = roam_probe_now_us();

	if (now >= until)
		return 0;
	return (int)((until - now + 999) / 1000);
}

#endif
