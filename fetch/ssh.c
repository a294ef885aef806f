/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exits.h"
#include "hostkey.h"
#include "log.h"
#include "ssh.h"

bool ssh_global_init(struct roam_error *e)
{
	if (libssh2_init(0) != 0)
		return roam_error_set(e, "libssh2_init failed");
	return true;
}

void ssh_global_exit(void)
{
	libssh2_exit();
}

static bool wait_connected(int fd, int timeout, struct roam_error *e)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof(err);
	int n;

	do
		n = poll(&p, 1, timeout * 1000);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return roam_error_set(e, "timed out after %d s", timeout);
	if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return roam_error_set(e, "%s", strerror(errno));
	if (err)
		return roam_error_set(e, "%s", strerror(err));
	return true;
}

/* One attempt per address getaddrinfo returns, each bounded by the timeout. */
static int tcp_connect(const char *host, int port, int timeout, struct roam_error *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char serv[8];
	int fd = -1, rc;

	snprintf(serv, sizeof(serv), "%d", port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		roam_error_set(e, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			roam_error_set(e, "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_connected(fd, timeout, e)))
			break;
		if (errno != EINPROGRESS)
			roam_error_set(e, "%s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		struct roam_error why = *e;
		roam_error_set(e, "connect to %s port %d: %s", host, port, why.msg);
		return -1;
	}
	/* libssh2 does its own waiting; POP3 is request/response, so no Nagle */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	return fd;
}

const char *ssh_last_error(struct ssh_conn *c)
{
	char *msg = NULL;

	libssh2_session_last_error(c->session, &msg, NULL, 0);
	return msg && *msg ? msg : "unknown libssh2 error";
}

static bool auth_agent(struct ssh_conn *c, const char *user)
{
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	LIBSSH2_AGENT *agent;
	bool ok = false;

	if (!getenv("SSH_AUTH_SOCK") || !(agent = libssh2_agent_init(c->session)))
		return false;
	if (libssh2_agent_connect(agent) == 0 && libssh2_agent_list_identities(agent) == 0) {
		while (!ok && libssh2_agent_get_identity(agent, &id, prev) == 0) {
			ok = libssh2_agent_userauth(agent, user, id) == 0;
			roam_debug("ssh-agent key %s: %s", id->comment ? id->comment : "?",
				   ok ? "accepted" : "refused");
			prev = id;
		}
		libssh2_agent_disconnect(agent);
	}
	libssh2_agent_free(agent);
	return ok;
}

/* the public key is derived from the private one (libssh2 with OpenSSL);
 * keys with a passphrase belong in ssh-agent */
static bool auth_file(struct ssh_conn *c, const char *user, const char *path)
{
	int rc = libssh2_userauth_publickey_fromfile_ex(c->session, user,
							(unsigned)strlen(user), NULL, path, NULL);

	roam_debug("key %s: %s", path, rc == 0 ? "accepted" : ssh_last_error(c));
	return rc == 0;
}

static bool authenticate(struct ssh_conn *c, const struct ssh_opts *o, struct roam_error *e)
{
	const char *home = getenv("HOME");
	char path[4096];
	const char *methods;

	methods = libssh2_userauth_list(c->session, o->user, (unsigned)strlen(o->user));
	if (!methods && libssh2_userauth_authenticated(c->session))
		return true;
	if (!methods || !strstr(methods, "publickey"))
		return roam_error_set(e, "ssh server %s does not offer publickey authentication "
				      "for %s (offers: %s)", o->host, o->user,
				      methods ? methods : ssh_last_error(c));
	if (auth_agent(c, o->user))
		return true;
	if (o->identity) {
		if (auth_file(c, o->user, o->identity))
			return true;
		return roam_error_set(e, "ssh authentication as %s@%s failed with ssh-agent and %s: "
				      "%s (RSA keys fail with libssh2 1.10; use ed25519 or ecdsa)",
				      o->user, o->host, o->identity, ssh_last_error(c));
	}
	for (const char *const *k = (const char *const[]){ "id_ed25519", "id_ecdsa", NULL };
	     *k; k++) {
		snprintf(path, sizeof(path), "%s/.ssh/%s", home ? home : "", *k);
		if (access(path, R_OK) == 0 && auth_file(c, o->user, path))
			return true;
	}
	return roam_error_set(e, "ssh authentication as %s@%s failed: neither ssh-agent nor "
			      "~/.ssh/id_ed25519 or ~/.ssh/id_ecdsa was accepted (RSA keys fail "
			      "with libssh2 1.10; use ed25519 or ecdsa)", o->user, o->host);
}

/* offers only the host key types known_hosts lists for the host, as OpenSSH
 * does, so a server with several keys presents one we can check */
static bool handshake(struct ssh_conn *c, const struct ssh_opts *o, struct roam_error *e,
		      bool *transient)
{
	struct hostkey_db *db;
	unsigned skipped;
	char algs[256];
	bool ok = false;

	if (!(db = hostkey_load(c->session, o->known_hosts, &skipped, e)))
		return false;
	if (skipped)
		roam_debug("%s: %u lines libssh2 cannot parse were skipped", o->known_hosts,
			   skipped);
	hostkey_known_algorithms(db, o->host, o->port, algs, sizeof(algs));
	if (*algs && libssh2_session_method_pref(c->session, LIBSSH2_METHOD_HOSTKEY, algs) != 0)
		roam_debug("cannot restrict host key algorithms to %s", algs);
	if (libssh2_session_handshake(c->session, c->fd) != 0)
		roam_error_set(e, "ssh handshake with %s port %d: %s", o->host, o->port,
			       ssh_last_error(c));
	else if (!(ok = hostkey_verify(c->session, db, o->known_hosts, o->host, o->port, e)))
		*transient = false;
	hostkey_free(db);
	return ok;
}

struct ssh_conn *ssh_open(const struct ssh_opts *o, int *code, bool *transient,
			  struct roam_error *e)
{
	struct ssh_conn *c = calloc(1, sizeof(*c));

	*code = FETCH_EXIT_SOCKET;
	*transient = true;
	if (!c) {
		roam_error_set(e, "out of memory");
		return NULL;
	}
	c->keepalive = o->timeout < 30 ? (o->timeout + 1) / 2 : 30;
	if ((c->fd = tcp_connect(o->host, o->port, o->timeout, e)) < 0) {
		free(c);
		return NULL;
	}
	if (!(c->session = libssh2_session_init())) {
		roam_error_set(e, "libssh2_session_init failed");
		ssh_close(c, NULL);
		return NULL;
	}
	libssh2_session_set_timeout(c->session, (long)o->timeout * 1000);
	if (o->compress)
		libssh2_session_flag(c->session, LIBSSH2_FLAG_COMPRESS, 1);
	if (!handshake(c, o, e, transient)) {
		ssh_close(c, "host key refused");
		return NULL;
	}
	if (!authenticate(c, o, e)) {
		*code = FETCH_EXIT_AUTH;
		*transient = false;
		ssh_close(c, "authentication failed");
		return NULL;
	}
	libssh2_keepalive_config(c->session, 1, (unsigned)c->keepalive);
	roam_info("ssh: %s@%s port %d, authenticated", o->user, o->host, o->port);
	return c;
}

LIBSSH2_CHANNEL *ssh_channel_open(struct ssh_conn *c, const char *host, int port,
				  struct roam_error *e)
{
	LIBSSH2_CHANNEL *ch = libssh2_channel_direct_tcpip_ex(c->session, host, port,
							      "127.0.0.1", 0);

	if (!ch)
		roam_error_set(e, "ssh server cannot reach %s port %d: %s", host, port,
			       ssh_last_error(c));
	return ch;
}

void ssh_close(struct ssh_conn *c, const char *why)
{
	if (!c)
		return;
	if (c->session) {
		libssh2_session_set_blocking(c->session, 1);
		libssh2_session_set_timeout(c->session, 2000);
		if (why)
			libssh2_session_disconnect(c->session, why);
		libssh2_session_free(c->session);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
