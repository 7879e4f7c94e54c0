# queue/: mxhold-queue (writer), mxhold-queuectl, the queue format module.
# queue_fmt.c, queue_sweep.c and queue_dir.c are libc only (deliver and
# remote link them too); the programs are skalibs (+ libs6 for ftrigw).

QUEUE_FMT_OBJS := queue/queue_fmt.o queue/queue_sweep.o lib/u64.o lib/fnv.o
# queue_dir.o reads the config through conf/; until conf/build.mk defines
# CONF_OBJS it is built without it ($MXHOLD_QUEUE only).
ifeq ($(strip $(CONF_OBJS)),)
$(B)/queue/queue_dir.o: CPPFLAGS += -DQUEUE_NO_CONF
endif
QUEUE_DIR_OBJS := queue/queue_dir.o $(CONF_OBJS)

PROGS += queue
queue_OBJS := queue/queue.o queue/queue_write.o queue/queue_space.o $(QUEUE_FMT_OBJS) $(QUEUE_DIR_OBJS) lib/log.o lib/write_all.o
queue_OBJS += lib/cli.o lib/write_all.o
# One process per message, so its start-up is on the hot path: fully static
# (no ld.so, no shared objects to map: exec costs ~0.6 ms less here). ASan
# cannot link statically, so sanitizer builds keep libc dynamic. -x drops
# local symbols (static libc has a local buffer_free that check-libs would
# take for libowfat's), as for smtpd.
queue_LIBS := -Wl,-Bstatic -ls6 -lskarnet -Wl,-Bdynamic
ifneq ($(SAN),1)
queue_LIBS := -static -ls6 -lskarnet -Wl,-x
endif

PROGS += queuectl
queuectl_OBJS := queue/queuectl.o queue/queue_ctl.o queue/queue_walk.o queue/queue_out.o queue/queue_list.o queue/queue_show.o \
  queue/queue_hold.o queue/queue_stats.o queue/queue_metrics.o $(QUEUE_FMT_OBJS) $(QUEUE_DIR_OBJS) \
  lib/log.o lib/dir_sync.o
queuectl_OBJS += lib/cli.o lib/write_all.o lib/counter.o
queuectl_LIBS := -ls6 -lskarnet

UNITS += queue_fmt
queue_fmt_test_OBJS := tests/unit/queue_fmt_test.o queue/queue_fmt.o lib/u64.o lib/fnv.o
queue_fmt_test_LIBS :=

QUEUE_FMT_SRCS := queue/queue_fmt.c lib/u64.c lib/fnv.c
FUZZ += queue_env
queue_env_fuzz_SRCS := tests/fuzz/queue_env_fuzz.c $(QUEUE_FMT_SRCS)
FUZZ += queue_state
queue_state_fuzz_SRCS := tests/fuzz/queue_state_fuzz.c $(QUEUE_FMT_SRCS)
FUZZ += queue_envelope
queue_envelope_fuzz_SRCS := tests/fuzz/queue_envelope_fuzz.c queue/queue_write.c lib/write_all.c $(QUEUE_FMT_SRCS)
