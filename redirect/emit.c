/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "emit.h"
#include "fdio.h"
#include "target.h"

static const int fatal_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU };

/* A crash must not leave procmail without a recipient either. Sanitizer
 * builds keep their own handlers: there a crash is a report, not an answer. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
static const int crash_signals[] = { 0 };
#else
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#endif

/* the line a signal prints: target + "\n"; written only with signals blocked */
static char answer[REDIRECT_TARGET_MAX + 2];
static volatile sig_atomic_t answer_len;
static volatile sig_atomic_t signal_exit;	/* 0; 1 (nothing printed) for --exit-status */

static void on_signal(int sig)
{
	(void)sig;
	/* only async-signal-safe calls here; a failed write means stdout is gone */
	(void)roam_write_all(STDOUT_FILENO, answer, (size_t)answer_len);
	_exit(signal_exit);
}

static void block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals); i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void set_answer(const char *target)
{
	sigset_t old;
	size_t len = strlen(target);

	block_signals(&old);
	memcpy(answer, target, len);
	answer[len] = '\n';
	answer_len = (sig_atomic_t)(len + 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void install_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* the handler never returns, so the mask only keeps two signals from
	 * printing twice */
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals); i++)
		sigaction(fatal_signals[i], &sa, NULL);
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(*crash_signals); i++)
		if (crash_signals[i])
			sigaction(crash_signals[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void redirect_emit_init(const char *fallback)
{
	set_answer(redirect_target_ok(fallback) ? fallback : REDIRECT_LAST_RESORT);
	install_handlers();
}

void redirect_emit_init_status(int code)
{
	signal_exit = code;
	answer_len = 0;
	install_handlers();
}

void redirect_emit_fallback(const char *target)
{
	if (!signal_exit && redirect_target_ok(target))
		set_answer(target);
}

void redirect_emit(const char *target)
{
	sigset_t old;

	block_signals(&old);	/* for good: from here on, no second line */
	if (redirect_target_ok(target)) {
		size_t len = strlen(target);

		memcpy(answer, target, len);
		answer[len] = '\n';
		answer_len = (sig_atomic_t)(len + 1);
	}
	(void)roam_write_all(STDOUT_FILENO, answer, (size_t)answer_len);
	answer_len = 0;	/* a crash while cleaning up must not print a second line */
}

void redirect_emit_alarm(long ms)
{
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}
