# lib/ — only what two or more tools share
LIB_SRCS += lib/error.c lib/log.c lib/addr.c lib/statefile.c lib/config.c
