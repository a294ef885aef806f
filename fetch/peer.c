/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "peer.h"

/* the socket whose local end is peer and whose remote end is us */
static bool tcp_owner(const struct sockaddr_in *us, const struct sockaddr_in *peer, uid_t *uid,
		      struct roam_error *e)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0u,
		       .id = { .idiag_sport = peer->sin_port, .idiag_dport = us->sin_port,
			       .idiag_src = { peer->sin_addr.s_addr },
			       .idiag_dst = { us->sin_addr.s_addr },
			       .idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } } },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nlh;
		char bytes[8192];
	} answer;
	char a[INET_ADDRSTRLEN];
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	ssize_t n = -1;

	inet_ntop(AF_INET, &peer->sin_addr, a, sizeof(a));
	if (nl >= 0) {
		setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 1 },
			   sizeof(struct timeval));
		if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) ==
		    (ssize_t)sizeof(req))
			n = recv(nl, &answer, sizeof(answer), 0);
		close(nl);
	}
	if (n < 0)
		return roam_error_set(e, "peer %s:%u: sock_diag: %s", a, ntohs(peer->sin_port),
				      strerror(errno));
	for (struct nlmsghdr *h = &answer.nlh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		const struct inet_diag_msg *m = NLMSG_DATA(h);

		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			break;
		if (m->id.idiag_sport == peer->sin_port && m->id.idiag_dport == us->sin_port &&
		    m->id.idiag_src[0] == peer->sin_addr.s_addr &&
		    m->id.idiag_dst[0] == us->sin_addr.s_addr) {
			*uid = m->idiag_uid;
			return true;
		}
	}
	return roam_error_set(e, "peer %s:%u: no local socket (another host, or gone)", a,
			      ntohs(peer->sin_port));
}

bool peer_uid(int fd, uid_t *uid, struct roam_error *e)
{
	struct sockaddr_storage us, peer;
	socklen_t ul = sizeof(us), pl = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&us, &ul) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
		return roam_error_set(e, "peer: %s", strerror(errno));
	if (us.ss_family == AF_UNIX) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
			return roam_error_set(e, "peer: SO_PEERCRED: %s", strerror(errno));
		*uid = cred.uid;
		return true;
	}
	if (us.ss_family != AF_INET || peer.ss_family != AF_INET)
		return roam_error_set(e, "peer: not IPv4");
	return tcp_owner((struct sockaddr_in *)&us, (struct sockaddr_in *)&peer, uid, e);
}
