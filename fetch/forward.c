/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "exits.h"
#include "forward.h"
#include "log.h"
#include "peer.h"
#include "pump.h"
#include "stream.h"

enum { MAX_CLIENTS = 32, BACKOFF_MAX = 60 };

/* SIGTERM & co. arrive through a descriptor, so that poll sees them */
static int signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Another user's connection is closed at once, and said at most once a
 * second (a flood of them must not flood the log). */
static void refuse(int fd, uid_t uid, const struct roam_error *why)
{
	static time_t last;
	static unsigned long unsaid;
	time_t now = time(NULL);

	close(fd);
	if (now == last) {
		unsaid++;
		return;
	}
	last = now;
	if (why->msg[0])
		roam_notice("refused a connection: %s", why->msg);
	else
		roam_notice("refused a connection from uid %u: only uid %u may use this forward",
			    (unsigned)uid, (unsigned)getuid());
	if (unsaid)
		roam_notice("(and %lu more refused since the last such notice)", unsaid);
	unsaid = 0;
}

/* one accepted client → its own stream */
static bool add_client(struct pump *p, struct dialer *d, int lfd, struct roam_error *e)
{
	struct stream *stream;
	struct roam_error why = { "" };
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	uid_t uid = (uid_t)-1;
	bool fatal;

	if (fd < 0)
		return true;	/* the client gave up already */
	/* your ssh session and POP3 login are yours alone */
	if (!peer_uid(fd, &uid, &why) || uid != getuid()) {
		refuse(fd, uid, &why);
		return true;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (!(stream = d->ops->open(d, &fatal, e))) {
		close(fd);
		if (fatal)
			return roam_error_set(e, "ssh connection lost: %s", d->ops->why(d));
		roam_warn("%s", e->msg);	/* refused for this client only */
		return true;
	}
	roam_debug("client connected: a stream to the POP3 server");
	return pump_add(p, fd, stream, e);
}

/* a failed ssh_command child: said, the forward goes on */
static void warn_verdict(struct dialer *d)
{
	struct roam_error why = { "" };

	if (d->ops->verdict(d, false, &why))
		roam_warn("%s", why.msg);
}

/* serves clients until the session fails (false) or a signal arrives (true) */
static bool serve(struct dialer *d, int lfd, int sfd, const struct settings *s,
		  struct roam_error *e)
{
	struct pump *p = pump_new(d);
	bool stop = false;

	if (!p)
		return roam_error_set(e, "out of memory");
	pump_set_idle(p, s->forward_idle_timeout);
	while (!stop) {
		struct pollfd ex[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = lfd, .events = pump_links(p) < MAX_CLIENTS ? POLLIN : 0 },
		};
		if (!pump_step(p, ex, 2, -1, e))
			break;
		warn_verdict(d);
		if (ex[0].revents & POLLIN)
			stop = true;
		else if ((ex[1].revents & POLLIN) && !add_client(p, d, lfd, e))
			break;
	}
	pump_free(p);
	return stop;
}

/* waits, or returns true early when a signal came */
static bool sleep_or_signal(int sfd, int seconds)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN };

	return poll(&p, 1, seconds * 1000) > 0;
}

int forward_main(struct settings *s, struct roam_error *e)
{
	struct forward_spec spec;
	struct forward_listener l;
	int lfd, sfd, code = FETCH_EXIT_MAIL, backoff = 1;

	if (!forward_parse(s->forward, &spec, e))
		return FETCH_EXIT_SYNTAX;
	if ((code = forward_listen(&l, &spec, e)) != 0) {
		forward_unlisten(&l);
		return code;
	}
	lfd = l.fd;
	code = FETCH_EXIT_MAIL;
	if ((sfd = signal_fd()) < 0) {
		forward_unlisten(&l);
		return roam_error_set(e, "signalfd: %s", strerror(errno)), FETCH_EXIT_SOCKET;
	}
	for (;;) {
		bool transient;
		struct dialer *d = dialer_open(s, &code, &transient, e);

		if (!d && !transient)
			break;
		if (d) {
			backoff = 1;
			bool stop = serve(d, lfd, sfd, s, e);
			d->ops->close(d, stop ? "roam-fetch stopped" : "roam-fetch reconnecting");
			if (stop) {
				code = FETCH_EXIT_MAIL;
				break;
			}
		}
		roam_warn("%s; reconnecting in %d s", e->msg, backoff);
		if (sleep_or_signal(sfd, backoff)) {
			code = FETCH_EXIT_MAIL;
			break;
		}
		backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
	}
	close(sfd);
	forward_unlisten(&l);
	return code;
}
