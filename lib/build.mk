# lib/: the modules every tool shares. libc only (a binary links skalibs or
# libowfat, never both, so nothing here may use either); one job per module,
# its contract in its header. A program links the objects it uses.
LIB_OBJS := lib/log.o lib/u64.o lib/fnv.o lib/write_all.o lib/dir_sync.o lib/spawn.o lib/cli.o lib/fold.o lib/counter.o lib/hostport.o

UNITS += lib
lib_test_OBJS := tests/unit/lib_test.o $(LIB_OBJS)
lib_test_LIBS :=

FUZZ += log
log_fuzz_SRCS := tests/fuzz/log_fuzz.c lib/log.c lib/u64.c
