/* SPDX-License-Identifier: MIT */
/*
 * static_nss.c — no name service in the static roam-tunnel.
 *
 * libnl's printing and parsing helpers (nl_addr_info, nl_addr_resolve,
 * nl_str2ip_proto, nl_ip_proto2str) call glibc's name service. In a static
 * binary that means loading the machine's shared NSS modules at run time,
 * built for whatever glibc is installed then, not the one linked in.
 * roam-tunnel calls none of these helpers: it speaks numbers to the kernel.
 * The static link (tunnel.mk) wraps the four entry points to these stubs,
 * so that no NSS code is linked in at all and a future caller gets a plain
 * "not found" (libnl then prints numbers) instead of a version mismatch.
 */
#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
int __wrap_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		       char *serv, socklen_t servlen, int flags);
struct protoent *__wrap_getprotobyname(const char *name);
struct protoent *__wrap_getprotobynumber(int proto);

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	(void)node, (void)service, (void)hints;
	*res = NULL;
	return EAI_FAIL;
}

int __wrap_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		       char *serv, socklen_t servlen, int flags)
{
	(void)sa, (void)salen, (void)host, (void)hostlen, (void)serv, (void)servlen, (void)flags;
	return EAI_FAIL;
}

struct protoent *__wrap_getprotobyname(const char *name)
{
	(void)name;
	return NULL;
}

struct protoent *__wrap_getprotobynumber(int proto)
{
	(void)proto;
	return NULL;
}
