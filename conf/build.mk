# conf/: the config reader (libc only: every program links $(CONF_OBJS))
# and mxhold-conf (check, compile, get, dump).
CONF_OBJS := conf/conf_read.o conf/conf_cdb.o conf/conf_floor.o conf/conf_redis.o lib/u64.o

PROGS += conf
CONF_BUILD_OBJS := conf/conf_build.o conf/conf_rcpt.o conf/conf_value.o conf/conf_install.o lib/write_all.o lib/dir_sync.o
conf_OBJS := conf/conf.o conf/conf_audit.o conf/conf_explain.o $(CONF_BUILD_OBJS) $(CONF_OBJS) lib/log.o
conf_OBJS += lib/cli.o lib/write_all.o
conf_LIBS := -lskarnet

UNITS += conf
conf_test_OBJS := tests/unit/conf_test.o $(CONF_BUILD_OBJS) $(CONF_OBJS)
conf_test_LIBS :=

FUZZ += conf_text conf_cdb
conf_text_fuzz_SRCS := tests/fuzz/conf_text_fuzz.c conf/conf_build.c conf/conf_rcpt.c conf/conf_value.c conf/conf_read.c conf/conf_cdb.c conf/conf_floor.c conf/conf_redis.c lib/u64.c
conf_cdb_fuzz_SRCS := tests/fuzz/conf_cdb_fuzz.c conf/conf_read.c conf/conf_cdb.c conf/conf_floor.c lib/u64.c
