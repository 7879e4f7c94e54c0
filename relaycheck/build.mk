# relaycheck/: mxhold-relaycheck, the open-relay tester. libc only, main
# included: its diagnostics go through lib/log.o, so it links neither
# skalibs nor libowfat.

RC_OBJS := relaycheck/rc_reply.o relaycheck/rc_trick.o relaycheck/rc_verdict.o \
  relaycheck/rc_net.o relaycheck/rc_check.o relaycheck/rc_host.o relaycheck/rc_out.o \
  relaycheck/rc_batch.o

PROGS += relaycheck
relaycheck_OBJS := relaycheck/relaycheck.o $(RC_OBJS) lib/log.o lib/u64.o
relaycheck_OBJS += lib/cli.o lib/write_all.o
relaycheck_LIBS :=

UNITS += rc_reply
rc_reply_test_OBJS := tests/unit/rc_reply_test.o relaycheck/rc_reply.o
rc_reply_test_LIBS :=

UNITS += rc_trick
rc_trick_test_OBJS := tests/unit/rc_trick_test.o relaycheck/rc_trick.o relaycheck/rc_verdict.o
rc_trick_test_LIBS :=

UNITS += rc_host
rc_host_test_OBJS := tests/unit/rc_host_test.o relaycheck/rc_host.o
rc_host_test_LIBS :=

FUZZ += rc_reply
rc_reply_fuzz_SRCS := tests/fuzz/rc_reply_fuzz.c relaycheck/rc_reply.c

UNITS += rc_out
rc_out_test_OBJS := tests/unit/rc_out_test.o relaycheck/rc_out.o relaycheck/rc_verdict.o relaycheck/rc_trick.o relaycheck/rc_host.o
rc_out_test_LIBS :=
