# queue/: mxhold-queue (writer), mxhold-queuectl, the queue format module.
# queue_fmt.c, queue_sweep.c and queue_dir.c are libc only (deliver and
# remote link them too); the programs are skalibs (+ libs6 for ftrigw).

QUEUE_FMT_OBJS := queue/queue_fmt.o queue/queue_sweep.o
# queue_dir.o reads the config through conf/; until conf/build.mk defines
# CONF_OBJS it is built without it ($MXHOLD_QUEUE only).
ifeq ($(strip $(CONF_OBJS)),)
$(B)/queue/queue_dir.o: CPPFLAGS += -DQUEUE_NO_CONF
endif
QUEUE_DIR_OBJS := queue/queue_dir.o $(CONF_OBJS)

PROGS += queue
queue_OBJS := queue/queue.o queue/queue_write.o $(QUEUE_FMT_OBJS) $(QUEUE_DIR_OBJS)
queue_LIBS := -ls6 -lskarnet

