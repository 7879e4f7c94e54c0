# smtpd/: mxhold-smtpd (skalibs) and its libc-only parsers. From the
# bottom up: the parsers and smtp_io (libc only), smtp_child, smtp_conn
# (a connection's state, replies and log lines), smtp_msg (one DATA),
# smtp_session (the dialogue), smtpd (main).
SMTPD_PARSE := smtpd/smtp_cmd.o smtpd/smtp_dsn.o smtpd/smtp_addr.o smtpd/smtp_utf8.o smtpd/smtp_data.o smtpd/smtp_reply.o

PROGS += smtpd
smtpd_OBJS := smtpd/smtpd.o smtpd/smtp_session.o smtpd/smtp_rcpt.o smtpd/smtp_msg.o smtpd/smtp_dsnenv.o smtpd/smtp_bdat.o smtpd/smtp_tls.o smtpd/smtp_conn.o smtpd/smtp_child.o smtpd/smtp_io.o smtpd/smtp_guard.o \
  $(SMTPD_PARSE) $(CONF_OBJS) $(RCPT_CACHE_OBJS) lib/log.o lib/u64.o lib/spawn.o lib/fold.o
smtpd_OBJS += lib/cli.o lib/write_all.o lib/counter.o lib/fnv.o
smtpd_LIBS := -l:libskarnet.a   # static: fewer pages mapped per connection (RSS)
# LMDB (the recipient cache) is libc only: no symbol shared with skalibs
ifneq ($(SAN),1)
smtpd_LIBS += $(RCPT_CACHE_LIBS)
else
smtpd_LIBS += $(RCPT_CACHE_DLIBS)
endif
# libc static too: a shared libc.so is mapped 64 KiB at a time around each
# page touched (fault-around), ~1.3 MB of RSS; see smtpd.md, Notes.
# ASan cannot link statically, so sanitizer builds stay dynamic.
# -x drops local symbols: static libc has a local buffer_free (libio) that
# tests/check-libs.sh, which reads every symbol, takes for libowfat's.
ifneq ($(SAN),1)
smtpd_LIBS += -static -Wl,-x
endif
# Not musl (issue 18, tests/bench/README.md): its LMDB reader shares the
# recipient cache's lock file, process-shared pthread mutexes, with glibc
# programs (rcptcheck, rcptctl, deliver); musl lays a mutex out differently
# and the two deadlock (a musl smtpd hung 26-rcpt-verify on the lock).

UNITS += smtp_cmd smtp_addr smtp_data smtp_reply smtp_io smtp_utf8 smtp_dsn smtp_guard
smtp_guard_test_OBJS := tests/unit/smtp_guard_test.o smtpd/smtp_guard.o
smtp_guard_test_LIBS :=
smtp_io_test_OBJS := tests/unit/smtp_io_test.o smtpd/smtp_io.o
smtp_io_test_LIBS :=
smtp_cmd_test_OBJS := tests/unit/smtp_cmd_test.o smtpd/smtp_cmd.o smtpd/smtp_dsn.o lib/u64.o
smtp_cmd_test_LIBS :=
smtp_addr_test_OBJS := tests/unit/smtp_addr_test.o smtpd/smtp_addr.o smtpd/smtp_utf8.o
smtp_utf8_test_OBJS := tests/unit/smtp_utf8_test.o smtpd/smtp_utf8.o
smtp_utf8_test_LIBS :=
smtp_dsn_test_OBJS := tests/unit/smtp_dsn_test.o smtpd/smtp_dsn.o
smtp_dsn_test_LIBS :=
smtp_addr_test_LIBS :=
smtp_data_test_OBJS := tests/unit/smtp_data_test.o smtpd/smtp_data.o
smtp_data_test_LIBS :=
smtp_reply_test_OBJS := tests/unit/smtp_reply_test.o smtpd/smtp_reply.o
smtp_reply_test_LIBS :=

FUZZ += smtp_cmd smtp_addr smtp_data smtp_utf8
smtp_cmd_fuzz_SRCS := tests/fuzz/smtp_cmd_fuzz.c smtpd/smtp_cmd.c smtpd/smtp_dsn.c lib/u64.c
smtp_addr_fuzz_SRCS := tests/fuzz/smtp_addr_fuzz.c smtpd/smtp_addr.c smtpd/smtp_utf8.c
smtp_utf8_fuzz_SRCS := tests/fuzz/smtp_utf8_fuzz.c smtpd/smtp_utf8.c
smtp_data_fuzz_SRCS := tests/fuzz/smtp_data_fuzz.c smtpd/smtp_data.c
