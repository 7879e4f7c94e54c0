# proxy/: mxhold-proxy (skalibs) and its libc-only modules: the PROXY
# protocol parser and the reader that takes exactly one header.
PX_OBJS := proxy/px_hdr.o proxy/px_read.o

# The program reads the proxies file through conf/.
ifneq ($(strip $(CONF_OBJS)),)
PROGS += proxy
proxy_OBJS := proxy/proxy.o $(PX_OBJS) $(CONF_OBJS) lib/log.o lib/u64.o lib/write_all.o lib/counter.o lib/fnv.o lib/cli.o
proxy_LIBS := -l:libskarnet.a   # static, libc too: one exec per connection (as ratelimit)
ifneq ($(SAN),1)
proxy_LIBS += -static -Wl,-x
endif
# static with musl when skalibs is built for it (the Makefile, musl)
proxy_MUSL_NEEDS := SKALIBS
proxy_MUSL_LIBS := $(MUSL_DIR)/lib/libskarnet.a -static -Wl,-x
endif

UNITS += px_hdr
px_hdr_test_OBJS := tests/unit/px_hdr_test.o $(PX_OBJS)
px_hdr_test_LIBS :=

FUZZ += px_hdr
px_hdr_fuzz_SRCS := tests/fuzz/px_hdr_fuzz.c proxy/px_hdr.c
