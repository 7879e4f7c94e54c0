# spfcheck/: mxhold-spfcheck, a libowfat program (DNS); never skalibs.
SPF_CORE := spfcheck/spf_record.o spfcheck/spf_macro.o spfcheck/spf_eval.o spfcheck/spf_ip.o spfcheck/spf_hdr.o

PROGS += spfcheck
spfcheck_OBJS := spfcheck/spfcheck.o spfcheck/spf_policy.o spfcheck/spf_filter.o spfcheck/spf_dns.o \
  $(SPF_CORE) $(CONF_OBJS) lib/log.o lib/u64.o lib/write_all.o lib/spawn.o lib/fold.o
spfcheck_OBJS += lib/cli.o
spfcheck_LIBS := $(OWFAT)
# Fully static outside sanitizer builds: one exec per message (smtpd.md).
ifneq ($(SAN),1)
spfcheck_LIBS += -static -Wl,-x
endif
# static with musl when libowfat is built for it (the Makefile, musl)
spfcheck_MUSL_NEEDS := OWFAT
spfcheck_MUSL_LIBS := $(MUSL_DIR)/owfat/lib/libowfat.a -static -Wl,-x

UNITS += spf_record spf_macro spf_hdr spf_ip
spf_ip_test_OBJS := tests/unit/spf_ip_test.o spfcheck/spf_ip.o
spf_record_test_OBJS := tests/unit/spf_record_test.o spfcheck/spf_record.o
spf_macro_test_OBJS := tests/unit/spf_macro_test.o spfcheck/spf_macro.o
spf_hdr_test_OBJS := tests/unit/spf_hdr_test.o spfcheck/spf_hdr.o lib/fold.o

FUZZ += spf_record spf_macro spf_hdr
spf_record_fuzz_SRCS := tests/fuzz/spf_record_fuzz.c spfcheck/spf_record.c
spf_macro_fuzz_SRCS := tests/fuzz/spf_macro_fuzz.c spfcheck/spf_macro.c
spf_hdr_fuzz_SRCS := tests/fuzz/spf_hdr_fuzz.c spfcheck/spf_hdr.c lib/fold.c
