# deliver/: mxhold-deliver (skalibs + libs6: the scheduler) and
# mxhold-remote (libowfat: the SMTP client with DNS). dlv_buf.o and
# dlv_reply.o are libc only and linked by both (doc/design.md,
# "Libraries"); each program links the lib/ objects it uses. The Makefile
# includes lib/, conf/ and queue/ build.mk first, so every list is a :=.

DLV_LIBC_OBJS := deliver/dlv_buf.o deliver/dlv_reply.o lib/u64.o

PROGS += remote
remote_OBJS := deliver/remote.o deliver/remote_smtp.o deliver/remote_txn.o deliver/remote_io.o \
  deliver/remote_reply.o deliver/remote_route.o deliver/remote_guard.o \
  deliver/remote_tlsa.o deliver/remote_dane.o deliver/remote_tls.o deliver/remote_starttls.o \
  $(DLV_LIBC_OBJS) lib/log.o lib/write_all.o $(QUEUE_FMT_OBJS) $(CONF_OBJS)
remote_OBJS += lib/cli.o lib/hostport.o
# OpenSSL (Debian libssl-dev) linked in directly: the handshake needs the
# route's host name and the TLSA records remote looked up (remote.md, TLS).
remote_LIBS := $(OWFAT) -lssl -lcrypto
# Fully static outside sanitizer builds: one exec per session.
ifneq ($(SAN),1)
remote_LIBS += -static -Wl,-x
endif

UNITS += remote_reply
remote_reply_test_OBJS := tests/unit/remote_reply_test.o deliver/remote_reply.o $(DLV_LIBC_OBJS)
remote_reply_test_LIBS :=

UNITS += remote_guard
remote_guard_test_OBJS := tests/unit/remote_guard_test.o deliver/remote_guard.o
remote_guard_test_LIBS :=

UNITS += remote_tlsa
remote_tlsa_test_OBJS := tests/unit/remote_tlsa_test.o deliver/remote_tlsa.o
remote_tlsa_test_LIBS :=

FUZZ += remote_tlsa
remote_tlsa_fuzz_SRCS := tests/fuzz/remote_tlsa_fuzz.c deliver/remote_tlsa.c

FUZZ += remote_reply
remote_reply_fuzz_SRCS := tests/fuzz/remote_reply_fuzz.c deliver/remote_reply.c deliver/dlv_buf.c deliver/dlv_reply.c lib/u64.c

PROGS += deliver
deliver_OBJS := deliver/deliver.o deliver/dlv_sched.o deliver/dlv_disk.o deliver/dlv_outcome.o \
  deliver/dlv_dsn.o deliver/dlv_result.o deliver/dlv_commit.o deliver/dlv_sess.o deliver/dlv_ctl.o \
  deliver/dlv_learn.o $(DLV_LIBC_OBJS) lib/log.o lib/fnv.o lib/dir_sync.o lib/spawn.o lib/fold.o lib/counter.o $(QUEUE_FMT_OBJS) $(QUEUE_DIR_OBJS) \
  $(RCPT_CACHE_OBJS)
deliver_LIBS := -ls6 -lskarnet $(RCPT_CACHE_DLIBS)
deliver_OBJS += lib/cli.o lib/write_all.o

UNITS += dlv_sched
dlv_sched_test_OBJS := tests/unit/dlv_sched_test.o deliver/dlv_sched.o $(DLV_LIBC_OBJS) lib/log.o lib/fnv.o $(CONF_OBJS) queue/queue_fmt.o
dlv_sched_test_LIBS := -lskarnet
