# ratelimit/: mxhold-ratelimit (skalibs) and its modules (libc only, with
# the lib/ objects they use).
RL_OBJS := ratelimit/rl_key.o ratelimit/rl_gcra.o ratelimit/rl_state.o ratelimit/rl_clock.o ratelimit/rl_refuse.o \
  lib/fnv.o lib/u64.o lib/write_all.o

# The program reads limits through conf/; it is built once conf/build.mk
# defines CONF_OBJS.
ifneq ($(strip $(CONF_OBJS)),)
PROGS += ratelimit
ratelimit_OBJS := ratelimit/ratelimit.o ratelimit/rl_list.o ratelimit/rl_conc.o ratelimit/rl_redis.o ratelimit/rl_once.o ratelimit/rl_closed.o lib/counter.o $(RL_OBJS) $(CONF_OBJS) lib/log.o
ratelimit_OBJS += lib/cli.o lib/write_all.o
# hiredis (the redis file: shared counts) is libc only and shares no
# symbol with skalibs (tests/check-libs.sh); static as the rest.
ratelimit_LIBS := -l:libskarnet.a -l:libhiredis.a   # static: one less shared object to map per connection
# libc static too (as smtpd, queue): one exec per connection is its whole
# cost, and ld.so's start-up is most of an exec here (ratelimit.md, Notes).
ifneq ($(SAN),1)
ratelimit_LIBS += -static -Wl,-x
endif
# static with musl when skalibs and hiredis are built for it (the
# Makefile, musl; tests/musl-libs.sh builds both from Debian's sources)
ratelimit_MUSL_NEEDS := SKALIBS HIREDIS
ratelimit_MUSL_LIBS := $(MUSL_DIR)/lib/libskarnet.a $(MUSL_DIR)/lib/libhiredis.a -static -Wl,-x
endif

UNITS += rl_gcra rl_key rl_state rl_refuse rl_conc rl_once
rl_conc_test_OBJS := tests/unit/rl_conc_test.o ratelimit/rl_conc.o ratelimit/rl_key.o ratelimit/rl_refuse.o lib/log.o lib/u64.o lib/write_all.o
rl_conc_test_LIBS :=
rl_once_test_OBJS := tests/unit/rl_once_test.o ratelimit/rl_once.o lib/fnv.o lib/u64.o
rl_once_test_LIBS :=
rl_gcra_test_OBJS := tests/unit/rl_gcra_test.o ratelimit/rl_gcra.o ratelimit/rl_clock.o
rl_gcra_test_LIBS :=
rl_key_test_OBJS := tests/unit/rl_key_test.o ratelimit/rl_key.o
rl_key_test_LIBS :=
rl_state_test_OBJS := tests/unit/rl_state_test.o ratelimit/rl_state.o ratelimit/rl_gcra.o ratelimit/rl_key.o lib/fnv.o
rl_state_test_LIBS :=
rl_refuse_test_OBJS := tests/unit/rl_refuse_test.o ratelimit/rl_refuse.o lib/u64.o lib/write_all.o
rl_refuse_test_LIBS :=

FUZZ += rl_bucket
rl_bucket_fuzz_SRCS := tests/fuzz/rl_bucket_fuzz.c ratelimit/rl_state.c ratelimit/rl_gcra.c ratelimit/rl_key.c lib/fnv.c
