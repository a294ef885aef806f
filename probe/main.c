/* SPDX-License-Identifier: MIT */
/*
 * roam-probe — decide whether IPv4 targets are alive, all in one pass, and
 * keep each decision in a state file for roam-redirect. One-shot (cron) or
 * --watch (a service). Exit status as fping's: see lib/exits.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "exits.h"
#include "icmp.h"
#include "privs.h"
#include "log.h"
#include "output.h"
#include "probestate.h"
#include "settings.h"
#include "statedir.h"
#include "targets.h"

/* everything one configuration needs; --watch swaps in a new one on SIGHUP */
struct run {
	struct probe_settings set;
	struct probe_target *t;
	size_t n, nbad;
	struct roam_probe_target *probe;	/* the engine's view of t[] */
	int dirfd;				/* -1: --no-state */
	bool watch, json, quiet;
	unsigned need;				/* hysteresis in effect */
};

static void note_target(const char *name, const char *why, bool bad, void *ctx)
{
	(void)ctx;
	(void)name;
	if (bad)
		roam_err("%s", why);
	else
		roam_info("'%s' is %s", name, why);
}

static void note_state(const char *msg)
{
	roam_warn("%s; it will be rewritten", msg);
}

static void teardown(struct run *r)
{
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->t);
	free(r->probe);
	probe_settings_free(&r->set);
	r->t = NULL;
	r->probe = NULL;
	r->dirfd = -1;
}

/* returns PROBE_EXIT_ALIVE when ready to probe, else the exit status */
static int setup(struct run *r, const struct probe_cli *cli)
{
	struct roam_error e;

	memset(r, 0, sizeof(*r));
	r->dirfd = -1;
	r->watch = cli->watch;
	r->json = cli->json;
	r->quiet = cli->verbosity < 0;
	if (!probe_settings_load(cli, &r->set, &e)) {
		roam_err("%s", e.msg);
		return PROBE_EXIT_USAGE;
	}
	r->set.opts.icmp = &probe_icmp_ops;
	r->need = r->watch ? r->set.hysteresis : 1;
	if (!probe_targets_resolve(r->set.targets, r->set.ntargets, &r->t, &r->n, &r->nbad,
				   note_target, NULL, &e)) {
		roam_err("%s", e.msg);
		return PROBE_EXIT_SYSTEM;
	}
	if (r->n == 0 && r->nbad == 0) {
		roam_err("no targets: name some on the command line or set [probe] target in %s",
			 r->set.config_path ? r->set.config_path : ROAM_SYSCONFDIR "/roam.conf");
		return PROBE_EXIT_USAGE;
	}
	if (r->n == 0)
		return PROBE_EXIT_BADADDR;
	r->probe = calloc(r->n, sizeof(*r->probe));
	if (!r->probe) {
		roam_err("out of memory");
		return PROBE_EXIT_SYSTEM;
	}
	for (size_t i = 0; i < r->n; i++)
		r->probe[i].addr = r->t[i].addr;
	if (r->set.state_dir) {
		r->dirfd = probe_statedir_open(r->set.state_dir, &e);
		if (r->dirfd < 0) {
			roam_err("%s", e.msg);
			return PROBE_EXIT_SYSTEM;
		}
		probe_statedir_load(r->dirfd, r->t, r->n, note_state);
	}
	return PROBE_EXIT_ALIVE;
}

static bool due_for_write(const struct run *r, const struct probe_target *t, bool changed,
			  int64_t now)
{
	int64_t refresh = r->set.max_age_s / 2 ? r->set.max_age_s / 2 : 1;

	return r->dirfd >= 0 &&
	       (changed || !r->watch || t->written > now || now - t->written >= refresh);
}

static bool write_state(struct run *r, struct probe_target *t, const struct roam_probe_target *p,
			int64_t now)
{
	struct roam_probestate s = { .alive = t->hyst.alive, .since = t->since, .checked = now,
				     .rtt_us = p->alive ? p->rtt_us : 0, .method = p->method,
				     .tcp_port = r->set.opts.tcp_port };
	struct roam_error e;

	if (!roam_probestate_write_at(r->dirfd, t->addr, &s, &e)) {
		roam_err("%s: %s", r->set.state_dir, e.msg);
		return false;
	}
	t->written = now;
	return true;
}

static void print_one(const struct run *r, const struct probe_target *t,
		      const struct roam_probe_target *p, int64_t now)
{
	char addr[INET_ADDRSTRLEN], method[16];
	struct probe_result res = { .name = t->name, .address = addr, .alive = t->hyst.alive,
				    .answered = p->alive, .rtt_us = p->rtt_us, .method = method,
				    .checked = now, .since = t->since };

	inet_ntop(AF_INET, &t->addr, addr, sizeof(addr));
	probe_method_label(p->method, r->set.opts.tcp_port, method, sizeof(method));
	probe_print(stdout, &res, r->json);
}

/* one pass over every target; returns the exit status it means */
static int pass(struct run *r, bool first)
{
	int64_t now = (int64_t)time(NULL);
	struct timespec t0, t1;
	size_t alive = 0, failed = 0;
	struct roam_error e;
	enum roam_probe_method used;
	sigset_t block, saved;
	struct roam_error skipped = { "" };

	r->set.opts.skipped = &skipped;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	used = roam_probe_run(r->probe, r->n, &r->set.opts, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (used == ROAM_PROBE_NONE) {
		roam_err("%s", e.msg);
		return PROBE_EXIT_SYSTEM;
	}
	roam_info("probed %zu target%s with %s in %ld ms", r->n, r->n == 1 ? "" : "s",
		  roam_probe_method_name(used),
		  (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	if (skipped.msg[0])
		roam_info("skipped before %s: %s", roam_probe_method_name(used), skipped.msg);
	/* a signal now would kill us between a temporary file and its rename */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &saved);
	for (size_t i = 0; i < r->n; i++) {
		struct probe_target *t = &r->t[i];
		bool changed = probe_hyst_step(&t->hyst, r->probe[i].alive, r->need);

		if (changed || t->since > now)
			t->since = now;
		if (changed && !first)
			roam_notice("%s is now %s", t->name, t->hyst.alive ? "alive" : "unreachable");
		if (due_for_write(r, t, changed, now) && !write_state(r, t, &r->probe[i], now))
			failed++;
		if (!r->quiet && (!r->watch || first || changed))
			print_one(r, t, &r->probe[i], now);
		alive += t->hyst.alive;
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
	fflush(stdout);
	if (failed)
		return PROBE_EXIT_SYSTEM;
	if (r->nbad)
		return PROBE_EXIT_BADADDR;
	return alive == r->n ? PROBE_EXIT_ALIVE : PROBE_EXIT_UNREACHABLE;
}

static volatile sig_atomic_t got_stop, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

/* signals stay blocked except while sleeping, so a pass and its writes
 * always finish before we exit or reload */
static void catch_signals(sigset_t *sleep_mask)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, sleep_mask);
	sigdelset(sleep_mask, SIGTERM);
	sigdelset(sleep_mask, SIGINT);
	sigdelset(sleep_mask, SIGHUP);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void sleep_until(const struct timespec *until, const sigset_t *mask)
{
	while (!got_stop && !got_hup) {
		struct timespec now, left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = until->tv_sec - now.tv_sec;
		left.tv_nsec = until->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0)
			left.tv_sec--, left.tv_nsec += 1000000000;
		if (left.tv_sec < 0)
			return;
		pselect(0, NULL, NULL, NULL, &left, mask);
	}
}

static void reload(struct run *r, const struct probe_cli *cli)
{
	struct run fresh;
	int status = setup(&fresh, cli);

	if (status != PROBE_EXIT_ALIVE) {
		roam_err("reload failed; keeping the running configuration");
		teardown(&fresh);
		return;
	}
	teardown(r);
	*r = fresh;
	roam_notice("configuration reloaded: %zu target%s", r->n, r->n == 1 ? "" : "s");
}

static int watch(struct run *r, const struct probe_cli *cli)
{
	sigset_t sleep_mask;
	bool first = true;

	catch_signals(&sleep_mask);
	while (!got_stop) {
		struct timespec next;

		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += r->set.interval_s;
		if (pass(r, first) == PROBE_EXIT_SYSTEM)
			roam_warn("pass failed; trying again in %u s", r->set.interval_s);
		first = false;
		sleep_until(&next, &sleep_mask);
		if (got_hup && !got_stop) {
			got_hup = 0;
			reload(r, cli);
			first = true;
		}
	}
	roam_info("stopping");
	return PROBE_EXIT_ALIVE;
}

/* tcp needs a socket per target and probe: allow as many as we may */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct probe_cli cli;
	struct roam_error e;
	struct run r;
	int status;

	switch (probe_cli_parse(argc, argv, &cli, &e)) {
	case PROBE_CLI_HELP:
		probe_cli_usage(stdout);
		return PROBE_EXIT_ALIVE;
	case PROBE_CLI_VERSION:
		printf("roam-probe %s\n", ROAM_VERSION);
		return PROBE_EXIT_ALIVE;
	case PROBE_CLI_ERROR:
		roam_log_init("roam-probe", ROAM_NORMAL, ROAM_LOG_ERRORS_TO_STDERR);
		roam_err("%s (see roam-probe --help)", e.msg);
		return PROBE_EXIT_USAGE;
	case PROBE_CLI_RUN:
		break;
	}
	roam_log_init("roam-probe", (enum roam_verbosity)(cli.verbosity > 2 ? 2 : cli.verbosity),
		      ROAM_LOG_ERRORS_TO_STDERR);
	raise_fd_limit();
	/* the one privileged step, before any config, name or state is read */
	probe_icmp_open();
	if (!probe_drop_privileges(&e)) {
		roam_err("%s", e.msg);
		return PROBE_EXIT_SYSTEM;
	}
	status = setup(&r, &cli);
	if (status == PROBE_EXIT_ALIVE)
		status = cli.watch ? watch(&r, &cli) : pass(&r, true);
	teardown(&r);
	probe_icmp_close();
	return status;
}
