# spfcheck/: mxhold-spfcheck, a libowfat program (DNS); never skalibs.
SPF_CORE := spfcheck/spf_record.o spfcheck/spf_macro.o spfcheck/spf_eval.o spfcheck/spf_hdr.o

PROGS += spfcheck
spfcheck_OBJS := spfcheck/spfcheck.o spfcheck/spf_policy.o spfcheck/spf_filter.o spfcheck/spf_dns.o \
  $(SPF_CORE) $(CONF_OBJS)
spfcheck_LIBS := $(OWFAT)
