# lib/ — only what two or more tools share
LIB_SRCS += lib/error.c lib/log.c lib/addr.c lib/fdio.c lib/statefile.c lib/config.c lib/trust.c
LIB_SRCS += lib/probe.c lib/probe_dgram.c lib/probe_tcp.c lib/probestate.c
