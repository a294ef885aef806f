/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "exits.h"
#include "log.h"
#include "pump.h"
#include "transport.h"

struct transport {
	struct dialer *d;
	struct stream *s;	/* until accepted: then the pump owns it */
	int listen_fd;
	int stop_fd;		/* eventfd: the main thread asks us to end */
	char dir[96];		/* TMPDIR (<= 60 bytes) + "/roam-fetch.XXXXXX" */
	char path[108];
	pthread_t thread;
	atomic_bool failed;
	struct roam_error err;	/* written by the thread, read after join */
};

static void remove_socket(struct transport *t)
{
	if (t->path[0]) {
		unlink(t->path);
		t->path[0] = '\0';
	}
	if (t->dir[0]) {
		rmdir(t->dir);
		t->dir[0] = '\0';
	}
}

static bool stop_requested(const struct pollfd *p)
{
	return p->revents & (POLLIN | POLLERR | POLLHUP);
}

/* waits for libcurl's one connection */
static int accept_one(struct transport *t)
{
	struct pollfd p[2] = {
		{ .fd = t->listen_fd, .events = POLLIN },
		{ .fd = t->stop_fd, .events = POLLIN },
	};
	int fd;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			roam_error_set(&t->err, "poll: %s", strerror(errno));
			return -1;
		}
		if (stop_requested(&p[1]))
			return -1;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0 || (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED))
			break;
	}
	if (fd < 0)
		roam_error_set(&t->err, "accept: %s", strerror(errno));
	return fd;
}

static void *transport_main(void *arg)
{
	struct transport *t = arg;
	struct pump *pump = pump_new(t->d);
	struct pollfd stop = { .fd = t->stop_fd, .events = POLLIN };
	int fd;

	if (!pump) {
		roam_error_set(&t->err, "out of memory");
		atomic_store(&t->failed, true);
		return NULL;
	}
	fd = accept_one(t);
	close(t->listen_fd);
	t->listen_fd = -1;
	remove_socket(t);
	if (fd < 0) {
		pump_free(pump);
		return NULL;
	}
	struct stream *s = t->s;
	t->s = NULL;
	if (!pump_add(pump, fd, s, &t->err))
		atomic_store(&t->failed, true);
	while (pump_links(pump) && !atomic_load(&t->failed)) {
		if (!pump_step(pump, &stop, 1, -1, &t->err))
			atomic_store(&t->failed, true);
		else if (stop_requested(&stop))
			break;
	}
	pump_free(pump);
	return NULL;
}

static bool listen_private(struct transport *t, struct roam_error *e)
{
	const char *tmp = getenv("TMPDIR");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!tmp || !*tmp || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(t->dir, sizeof(t->dir), "%s/roam-fetch.XXXXXX", tmp);
	if (!mkdtemp(t->dir)) {	/* mode 0700 */
		t->dir[0] = '\0';
		return roam_error_set(e, "mkdtemp in %s: %s", tmp, strerror(errno));
	}
	snprintf(t->path, sizeof(t->path), "%s/pop3", t->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
	t->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->listen_fd < 0 || bind(t->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(t->listen_fd, 1) < 0)
		return roam_error_set(e, "listening on %s: %s", t->path, strerror(errno));
	return true;
}

static void transport_free(struct transport *t)
{
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	remove_socket(t);
	if (t->s)
		t->s->ops->close(t->s);
	free(t);
}

struct transport *transport_start(struct dialer *d, struct stream *s, struct roam_error *e)
{
	struct transport *t = calloc(1, sizeof(*t));
	int rc;

	if (!t) {
		s->ops->close(s);
		roam_error_set(e, "out of memory");
		return NULL;
	}
	t->d = d;
	t->s = s;
	t->listen_fd = -1;
	t->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (t->stop_fd < 0) {
		roam_error_set(e, "eventfd: %s", strerror(errno));
		transport_free(t);
		return NULL;
	}
	if (!listen_private(t, e)) {
		transport_free(t);
		return NULL;
	}
	if ((rc = pthread_create(&t->thread, NULL, transport_main, t)) != 0) {
		roam_error_set(e, "pthread_create: %s", strerror(rc));
		transport_free(t);
		return NULL;
	}
	return t;
}

const char *transport_path(const struct transport *t)
{
	return t->path;
}

int transport_stop(struct transport *t, struct roam_error *e)
{
	struct roam_error why = { "" };
	int code = 0;

	if (!t)
		return 0;
	if (write(t->stop_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0)
		roam_warn("eventfd write: %s", strerror(errno));
	pthread_join(t->thread, NULL);
	/* the command's own account of a failure says more than a broken pipe */
	if ((code = t->d->ops->verdict(t->d, true, &why)) != 0)
		roam_error_set(e, "%s", why.msg);
	else if (atomic_load(&t->failed) && (code = FETCH_EXIT_SOCKET))
		roam_error_set(e, "%s", t->err.msg);
	transport_free(t);
	return code;
}
