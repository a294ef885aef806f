/* SPDX-License-Identifier: MIT */
/*
 * register.c — the mobile tells the gateway where it is now.
 *
 * The mobile runs `ssh -T GATEWAY`; the gateway's authorized_keys forces
 * `roam-tunnel register` for that key. The new remote is the address the ssh
 * connection came from (SSH_CONNECTION), never anything the client says, so a
 * stolen key can only point the tunnel at the thief's own address, and
 * allow_from can narrow even that.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "environ.h"
#include "link.h"
#include "log.h"
#include "register_guard.h"
#include "render.h"
#include "tunnel.h"

/* SSH_CONNECTION is "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT" */
bool tunnel_register_client(const char *conn, struct in_addr *client, struct roam_error *e)
{
	char ip[INET6_ADDRSTRLEN];
	size_t n;

	if (!conn || !*conn)
		return roam_error_set(e, "SSH_CONNECTION is not set: register runs as an ssh forced command");
	n = strcspn(conn, " ");
	if (n == 0 || n >= sizeof(ip) || conn[n] != ' ')
		return roam_error_set(e, "SSH_CONNECTION '%s' not understood", conn);
	memcpy(ip, conn, n);
	ip[n] = '\0';
	/* sshd may report an IPv4 client as an IPv4-mapped IPv6 address */
	if (!strncmp(ip, "::ffff:", 7) && strchr(ip + 7, '.'))
		memmove(ip, ip + 7, n - 6);
	if (inet_pton(AF_INET, ip, client) != 1)
		return roam_error_set(e, "client address '%s' is not IPv4", ip);
	return true;
}

bool tunnel_register_allowed(const struct tunnel_cfg *cfg, struct in_addr client,
			     struct roam_error *e)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &client, a, sizeof(a));
	if (!roam_ipv4_is_unicast(client))
		return roam_error_set(e, "client address %s is not unicast", a);
	if (!cfg->nallow)
		return true;
	for (size_t i = 0; i < cfg->nallow; i++)
		if (roam_prefix_contains(&cfg->allow_from[i], client))
			return true;
	return roam_error_set(e, "client address %s is outside allow_from", a);
}

/* Waits for the ssh child at most timeout_s seconds, then ends it (its whole
 * process group: a ProxyCommand too). 0 with *status on exit, -1 on timeout. */
static int wait_bounded(pid_t pid, unsigned timeout_s, int *status)
{
	struct pollfd p = { .fd = pidfd_open(pid, 0), .events = POLLIN };
	int n = 1;

	if (p.fd >= 0) {
		while ((n = poll(&p, 1, (int)(timeout_s * 1000))) < 0 && errno == EINTR)
			;	/* a signal restarts the full wait: bounded by how often one comes */
		close(p.fd);
	}
	if (n == 0) {
		kill(-pid, SIGTERM);
		usleep(200 * 1000);
		kill(-pid, SIGKILL);
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return n == 0 ? -1 : 0;
}

int tunnel_register_call(const char *dest, unsigned timeout_s, struct roam_error *e)
{
	const char *ssh = tunnel_ssh_program();
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return roam_error_set(e, "fork: %s", strerror(errno)), -1;
	if (pid == 0) {
		setpgid(0, 0);	/* so that a timeout ends ssh and whatever it started */
		/* the forced command ignores stdin; never let ssh read ours */
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 0);
		/* a dead or silent gateway must not hold the mobile's hook (and
		 * its network change) for long: 10 s to connect, 3 × 5 s of
		 * silence; register_timeout bounds the whole (a gateway that
		 * answers but never finishes) */
		execlp(ssh, ssh, "-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
		       "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
		       "--", dest, (char *)NULL);
		_exit(127);
	}
	if (wait_bounded(pid, timeout_s, &status) < 0)
		return roam_error_set(e, "registration with %s: no answer within %u s (register_timeout)",
				      dest, timeout_s), -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return roam_error_set(e, "cannot run %s", ssh), -1;
	if (!WIFEXITED(status))
		return roam_error_set(e, "%s killed by signal %d", ssh, WTERMSIG(status)), -1;
	return WEXITSTATUS(status);
}

enum tunnel_result tunnel_register(struct tunnel_run *r, const char *conn, struct roam_error *e)
{
	struct tunnel_plan probe = { .n = 1 };
	struct tun_objs have = { 0 };
	struct tunnel_state st;
	struct tun_obj want;
	struct in_addr client;
	char cmd[TUN_RENDER_MAX], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], who[160], path[512];
	enum tunnel_result res = TUNNEL_FAILED;

	if (r->cfg->role != ROLE_GATEWAY || r->existing_link)
		return roam_error_set(e, "register: only a gateway accepts registrations"), TUNNEL_BADUSE;
	if (r->cfg->kind->follows_peer) {
		/* exit 0: a mobile (or its hook) still calling register is not broken */
		roam_notice("%s: encap = %s follows the mobile's endpoint by itself; nothing to register",
			    r->cfg->name, r->cfg->kind->name);
		fprintf(r->out, "%s: %s needs no registration\n", r->cfg->name, r->cfg->kind->name);
		return TUNNEL_OK;
	}
	tunnel_register_who(who, sizeof(who));
	if (!tunnel_register_client(conn, &client, e) || !tunnel_register_allowed(r->cfg, client, e) ||
	    !tunnel_register_sane(r->nl, r->cfg, client, e)) {
		/* every refusal in the log with the key that tried */
		size_t n = strlen(e->msg);

		snprintf(e->msg + n, sizeof(e->msg) - n, "; refused for %s", who);
		return TUNNEL_REFUSED;
	}
	probe.obj[0].kind = TUN_LINK;
	snprintf(probe.obj[0].link.name, IFNAMSIZ, "%s", r->cfg->name);
	if (!tunnel_state_load(r->cfg->name, &st, e) || !tun_nl_read(r->nl, &probe, &have, e))
		goto out;
	if (!have.n) {
		roam_error_set(e, "%s is not up: run roam-tunnel up first", r->cfg->name);
		goto out;
	}
	want = have.v[0];
	want.link.remote = client;
	inet_ntop(AF_INET, &have.v[0].link.remote, a, sizeof(a));
	inet_ntop(AF_INET, &client, b, sizeof(b));
	res = TUNNEL_OK;
	if (have.v[0].link.remote.s_addr != client.s_addr) {
		tun_render_change(&want, &have.v[0], cmd, sizeof(cmd));
		if (r->dry_run) {
			fprintf(r->out, "%s\n", cmd);
			goto out;
		}
		/* a key that registers in a loop moves the tunnel once a second */
		if (tunnel_state_path(r->cfg->name, path, sizeof(path), NULL))
			tunnel_register_pace(path);
		/* in place: the link keeps its index, addresses and routes */
		st.remote = client;
		if (!tun_nl_change(r->nl, &want, &have.v[0], e) ||
		    !tunnel_state_save(r->cfg->name, &st, e)) {
			res = TUNNEL_FAILED;
			goto out;
		}
		r->changes = tun_nl_changes(r->nl);
		roam_notice("%s: remote %s -> %s (registered over ssh) by %s", r->cfg->name, a, b, who);
	} else {
		roam_info("%s: remote %s unchanged (registered by %s)", r->cfg->name, b, who);
	}
	fprintf(r->out, "%s remote %s\n", r->cfg->name, b);
out:
	tun_objs_free(&have);
	return res;
}
