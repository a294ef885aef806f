/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "register_guard.h"
#include "sha256.h"
#include "trust.h"

struct own_ctx {
	struct tun_nl *nl;
	const struct tunnel_cfg *cfg;
	struct in_addr client;
	const char *why;	/* set when the client is ours */
};

static void own_cb(struct nl_object *obj, void *arg)
{
	struct own_ctx *x = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(a);
	struct roam_prefix p;
	char dev[IFNAMSIZ];

	if (x->why || rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4)
		return;
	memcpy(&p.addr, nl_addr_get_binary_addr(local), 4);
	if (p.addr.s_addr == x->client.s_addr) {
		x->why = "one of this gateway's own addresses";
		return;
	}
	p.len = (unsigned)rtnl_addr_get_prefixlen(a);
	if (p.len)
		p.addr.s_addr &= htonl(~0u << (32 - p.len));
	if (x->cfg->lan_dev[0] && tun_nl_ifname(x->nl, rtnl_addr_get_ifindex(a), dev) &&
	    !strcmp(dev, x->cfg->lan_dev) && roam_prefix_contains(&p, x->client))
		x->why = "inside the home LAN (lan_dev)";
}

bool tunnel_register_sane(struct tun_nl *nl, const struct tunnel_cfg *cfg, struct in_addr client,
			  struct roam_error *e)
{
	struct own_ctx x = { .nl = nl, .cfg = cfg, .client = client };
	const struct roam_prefix link_local = { .addr = { htonl(0xa9fe0000) }, .len = 16 };
	struct nl_cache *c;
	char a[INET_ADDRSTRLEN];

	if (client.s_addr == cfg->inner_local.s_addr || client.s_addr == cfg->inner_remote.s_addr)
		x.why = "an inner address of the tunnel";
	else if (client.s_addr == cfg->exported.s_addr)
		x.why = "the exported address";
	else if (roam_prefix_contains(&link_local, client))
		x.why = "link-local";
	else if (!(c = tun_nl_dump(nl, TUN_ADDR, e)))
		return false;
	else
		nl_cache_foreach(c, own_cb, &x);
	if (!x.why)
		return true;
	inet_ntop(AF_INET, &client, a, sizeof(a));
	return roam_error_set(e, "client address %s is %s: a registration through the tunnel "
			      "would point it into itself", a, x.why);
}

/* the key blob of the first "publickey TYPE BASE64" line */
static bool fingerprint(const char *text, char *buf, size_t len)
{
	char type[64];
	const char *p = text, *b64;
	size_t n;
	unsigned char blob[8192], h[ROAM_SHA256_LEN];
	char fp[ROAM_BASE64_LEN(ROAM_SHA256_LEN) + 1];
	ssize_t bl;

	while (p && strncmp(p, "publickey ", 10))
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (!p)
		return false;
	p += 10;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-.@");
	if (n == 0 || n >= sizeof(type) || p[n] != ' ')
		return false;
	memcpy(type, p, n);
	type[n] = '\0';
	b64 = p + n + 1;
	bl = roam_base64_decode(b64, strcspn(b64, " \n"), blob, sizeof(blob));
	if (bl <= 0)
		return false;
	roam_sha256(blob, (size_t)bl, h);
	roam_base64_encode(h, sizeof(h), false, fp);
	snprintf(buf, len, "key SHA256:%s (%s)", fp, type);
	return true;
}

void tunnel_register_who(char *buf, size_t len)
{
	const char *path = getenv("SSH_USER_AUTH");
	char text[16384];
	ssize_t n;
	int fd;

	snprintf(buf, len, "an unnamed key (no ExposeAuthInfo)");
	/* only what sshd wrote: a regular file of root's or ours, never a FIFO
	 * a key holder named through AcceptEnv */
	if (!path || (fd = roam_open_trusted(path, O_RDONLY, NULL)) < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	fingerprint(text, buf, len);
}

void tunnel_register_pace(const char *state_path)
{
	struct timespec now, wait;
	struct stat st;
	long long gap_ns;

	if (stat(state_path, &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return;
	gap_ns = (long long)(now.tv_sec - st.st_mtim.tv_sec) * 1000000000LL +
		 (now.tv_nsec - st.st_mtim.tv_nsec);
	if (gap_ns < 0 || gap_ns >= REGISTER_MIN_GAP_MS * 1000000LL)
		return;	/* a clock set back is no reason to wait forever */
	gap_ns = REGISTER_MIN_GAP_MS * 1000000LL - gap_ns;
	wait.tv_sec = (time_t)(gap_ns / 1000000000LL);
	wait.tv_nsec = (long)(gap_ns % 1000000000LL);
	while (nanosleep(&wait, &wait) < 0 && errno == EINTR)
		;
}
