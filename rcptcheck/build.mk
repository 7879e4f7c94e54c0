# rcptcheck/: recipient validation (recipients=verify and learn). The
# cache module rcpt_cache.o (libc + liblmdb) is linked by smtpd, deliver,
# mxhold-rcptcheck and mxhold-rcptctl (doc/design.md, "The rule").
# mxhold-rcptcheck probes customer servers (libowfat: DNS), static like
# remote: smtpd runs it once per unknown address. mxhold-rcptctl is the
# operator's tool (libc only).
RCPT_CACHE_OBJS := rcptcheck/rcpt_cache.o lib/u64.o
RCPT_CACHE_LIBS := -l:liblmdb.a
# liblmdb.so for the dynamic programs and the sanitizer builds
RCPT_CACHE_DLIBS := -llmdb

PROGS += rcptcheck
rcptcheck_OBJS := rcptcheck/rcptcheck.o rcptcheck/rcpt_check.o rcptcheck/rcpt_probe.o rcptcheck/rcpt_reply.o rcptcheck/rcpt_route.o \
  $(RCPT_CACHE_OBJS) $(CONF_OBJS) lib/log.o lib/write_all.o
rcptcheck_OBJS += lib/cli.o lib/hostport.o
rcptcheck_LIBS := $(OWFAT)
ifneq ($(SAN),1)
rcptcheck_LIBS += $(RCPT_CACHE_LIBS) -static -Wl,-x
else
rcptcheck_LIBS += $(RCPT_CACHE_DLIBS)
endif

PROGS += rcptctl
rcptctl_OBJS := rcptcheck/rcptctl.o $(RCPT_CACHE_OBJS) $(CONF_OBJS) lib/log.o lib/write_all.o
rcptctl_OBJS += lib/cli.o lib/write_all.o
rcptctl_LIBS := $(RCPT_CACHE_DLIBS)

UNITS += rcpt_cache rcpt_reply
rcpt_cache_test_OBJS := tests/unit/rcpt_cache_test.o $(RCPT_CACHE_OBJS)
rcpt_cache_test_LIBS := $(RCPT_CACHE_DLIBS)
rcpt_reply_test_OBJS := tests/unit/rcpt_reply_test.o rcptcheck/rcpt_reply.o lib/u64.o
rcpt_reply_test_LIBS :=

FUZZ += rcpt_reply
rcpt_reply_fuzz_SRCS := tests/fuzz/rcpt_reply_fuzz.c rcptcheck/rcpt_reply.c lib/u64.c
