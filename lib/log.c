/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "roam";
static int log_max = LOG_NOTICE;
static bool log_stderr;
static bool log_syslog;
static bool errors_to_stderr;

void roam_log_init(const char *ident, enum roam_verbosity verbosity, unsigned flags)
{
	log_ident = ident;
	switch (verbosity) {
	case ROAM_QUIET:   log_max = LOG_ERR; break;
	case ROAM_NORMAL:  log_max = LOG_NOTICE; break;
	case ROAM_VERBOSE: log_max = LOG_INFO; break;
	default:           log_max = LOG_DEBUG; break;
	}
	log_stderr = verbosity >= ROAM_VERBOSE || isatty(STDERR_FILENO);
	log_syslog = !log_stderr;
	errors_to_stderr = flags & ROAM_LOG_ERRORS_TO_STDERR;
	if (log_syslog)
		openlog(ident, LOG_PID, LOG_USER);
}

bool roam_log_enabled(int priority)
{
	return priority <= log_max;
}

void roam_log(int priority, const char *fmt, ...)
{
	va_list ap;

	if (!roam_log_enabled(priority))
		return;
	if (log_syslog) {
		va_start(ap, fmt);
		vsyslog(priority, fmt, ap);
		va_end(ap);
	}
	if (log_stderr || (errors_to_stderr && priority <= LOG_ERR)) {
		/* one write per line, so that lines of parallel tools do not interleave */
		char line[1024];
		int n = snprintf(line, sizeof(line), "%s: ", log_ident);

		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < sizeof(line))
			vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
		fprintf(stderr, "%s\n", line);
	}
}
