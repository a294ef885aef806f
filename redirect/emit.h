/* SPDX-License-Identifier: MIT */
/*
 * emit.h — the one line roam-redirect prints, exactly once, whatever happens.
 *
 * From the first instruction on there is always a safe answer ready: the away
 * target (at first the default one, later the configured one). A signal that
 * would end the process (SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGUSR1/2, SIGXCPU)
 * prints that answer and exits 0, and so does a crash (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT) outside sanitizer builds; SIGPIPE is ignored, so writing to a closed
 * pipe is an error return, never a death. Printing blocks those signals
 * first, so the line is written once and never interleaved.
 */
#ifndef ROAM_REDIRECT_EMIT_H
#define ROAM_REDIRECT_EMIT_H

#include <stdbool.h>

/* Installs the handlers with fallback (which must pass redirect_target_ok)
 * as the answer a signal prints. */
void redirect_emit_init(const char *fallback);
/* For --exit-status: a signal prints nothing and exits with code; the
 * answer, when there is one, goes through redirect_emit. */
void redirect_emit_init_status(int code);
/* Replaces the answer a signal prints; ignored unless it is a safe target. */
void redirect_emit_fallback(const char *target);
/* Prints target and "\n" when it is safe, else the fallback; then no signal
 * prints anything any more. */
void redirect_emit(const char *target);
/* Arms SIGALRM after ms milliseconds (0 disarms): the backstop that keeps a
 * deadline even if something below blocks longer than it should. */
void redirect_emit_alarm(long ms);

#endif
