# mxhold: plain GNU make. `make`, `make check`, `make run`, `make install PREFIX=DIR`.
#
# lib/ holds the libc-only modules every tool shares (LIB_OBJS). Each tool
# folder has a build.mk that declares, next to each other, a
# program's objects and its one base library (skalibs or libowfat, never
# both: see tests/check-libs.sh), its unit tests and its fuzz targets:
#
#   PROGS += smtpd                       -> $(B)/bin/mxhold-smtpd
#   smtpd_OBJS := smtpd/smtpd.o ...      (paths of the .c files, as .o)
#   smtpd_LIBS := -lskarnet
#   UNITS += smtp_cmd                    -> $(B)/tests/unit/smtp_cmd_test
#   smtp_cmd_test_OBJS := tests/unit/smtp_cmd_test.o smtpd/smtp_cmd.o
#   smtp_cmd_test_LIBS :=
#   FUZZ += smtp_cmd                     -> $(B)/fuzz/smtp_cmd (clang, libFuzzer)
#   smtp_cmd_fuzz_SRCS := tests/fuzz/smtp_cmd_fuzz.c smtpd/smtp_cmd.c
#
# Objects go to $(B) (default build/), so a sanitizer build lives beside
# the normal one: `make check-san` is `make check B=build-san SAN=1`.

B ?= build
PREFIX ?= /usr/local
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
CPPFLAGS += -D_GNU_SOURCE -I.
SAN_OBJS :=
ifeq ($(SAN),1)
  CFLAGS += -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
  # LeakSanitizer off in setuid/setgid processes only (tests/san_setuid.c)
  SAN_OBJS := tests/san_setuid.o
endif
OWFAT := /usr/lib/libowfat.a

# musl (issue 18): the programs started once per connection or per message
# are built static with musl when a build.mk gives them NAME_MUSL_LIBS and
# NAME_MUSL_NEEDS (the libraries, of SKALIBS OWFAT) and those were
# built for musl: tests/musl-libs.sh builds them from Debian's source
# packages into $(MUSL_DIR) and says which in $(MUSL_DIR)/musl.mk. A static
# musl program starts in about a quarter of the CPU of a static glibc one
# here (tests/bench/README.md, startcost). MUSL=0, a sanitizer build, or a
# machine without musl-gcc or deb-src lines: glibc, as before (why:
# $(MUSL_DIR)/musl.log; `rm $(MUSL_DIR)/musl.mk` to try again).
# `make` alone builds the programs: the musl.mk rule below must not be the
# first target of the file
.DEFAULT_GOAL := all
MUSL ?= 1
MUSL_CC ?= musl-gcc
MUSL_DIR := $(B)/musl
MUSL_CPPFLAGS := -D_GNU_SOURCE -I. -I$(MUSL_DIR)/include -I$(MUSL_DIR)/owfat/include
# -Wno-cpp: libowfat's iopause.h includes <sys/poll.h>, which musl's
# header answers with a #warning (it means <poll.h>)
MUSL_WARN := $(WARN) -Wno-cpp
ifeq ($(SAN),1)
  MUSL := 0
endif
ifeq ($(MAKECMDGOALS),clean)
  MUSL := 0
endif
ifeq ($(MUSL),1)
-include $(MUSL_DIR)/musl.mk
$(MUSL_DIR)/musl.mk: tests/musl-libs.sh $(wildcard /usr/bin/musl-gcc)
	@echo "musl-libs: building skalibs and libowfat for musl from Debian's sources in $(MUSL_DIR)"
	@tests/musl-libs.sh $(MUSL_DIR)
	@grep ':=' $@ | sed 's/^/musl-libs: /'
endif

PROGS :=
UNITS :=
FUZZ :=
# In the order of what each uses: lib, then conf (lib only), then queue
# (conf) and rcptcheck (its cache module), then the rest. Every list is a
# := over lists defined before it.
FIRST_MK := lib/build.mk conf/build.mk queue/build.mk rcptcheck/build.mk
include $(FIRST_MK)
include $(filter-out $(FIRST_MK),$(sort $(wildcard */build.mk)))

BINS := $(foreach p,$(PROGS),$(B)/bin/mxhold-$(p))
UNIT_BINS := $(foreach u,$(UNITS),$(B)/tests/unit/$(u)_test)
FUZZ_BINS := $(foreach f,$(FUZZ),$(B)/fuzz/$(f))

all: $(BINS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

define prog_rule
$(B)/bin/mxhold-$(1): $(addprefix $(B)/,$($(1)_OBJS) $(SAN_OBJS))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $($(1)_LIBS)
endef
# the programs whose every NAME_MUSL_NEEDS library is there for musl
musl_ok = $(and $($(1)_MUSL_NEEDS),$(filter $(words $($(1)_MUSL_NEEDS)),$(words $(filter 1,$(foreach n,$($(1)_MUSL_NEEDS),$(MUSL_$(n)))))))
MUSL_ON := $(if $(filter 1,$(MUSL)),$(foreach p,$(PROGS),$(if $(call musl_ok,$(p)),$(p))))
$(foreach p,$(filter-out $(MUSL_ON),$(PROGS)),$(eval $(call prog_rule,$(p))))

$(B)/musl-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CPPFLAGS) $(CFLAGS) $(MUSL_WARN) -MMD -MP -c -o $@ $<
define musl_prog_rule
$(B)/bin/mxhold-$(1): $(addprefix $(B)/musl-obj/,$($(1)_OBJS))
	@mkdir -p $$(dir $$@)
	$$(MUSL_CC) $$(LDFLAGS) -o $$@ $$^ $($(1)_MUSL_LIBS)
endef
$(foreach p,$(MUSL_ON),$(eval $(call musl_prog_rule,$(p))))
# lib/'s test built with musl too when a program is (lib/spawn.c has a
# musl branch: the descriptor set of a child): $(B)/tests/unit/lib_musl_test
ifneq ($(MUSL_ON),)
$(B)/tests/unit/lib_musl_test: $(addprefix $(B)/musl-obj/,$(lib_test_OBJS))
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(LDFLAGS) -static -o $@ $^ $(lib_test_LIBS)
UNIT_BINS += $(B)/tests/unit/lib_musl_test
endif

define unit_rule
$(B)/tests/unit/$(1)_test: $(addprefix $(B)/,$($(1)_test_OBJS))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $($(1)_test_LIBS)
endef
$(foreach u,$(UNITS),$(eval $(call unit_rule,$(u))))

FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I.
FUZZ_SECS ?= 30
define fuzz_rule
$(B)/fuzz/$(1): $($(1)_fuzz_SRCS)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_FLAGS) -o $$@ $($(1)_fuzz_SRCS) $($(1)_fuzz_LIBS)
endef
$(foreach f,$(FUZZ),$(eval $(call fuzz_rule,$(f))))

units: $(UNIT_BINS)
fuzz-build: $(FUZZ_BINS)

# Runs every fuzz target for FUZZ_SECS seconds over its seed corpus
# (tests/fuzz/corpus/NAME); new inputs go to a scratch copy, not the tree.
fuzz: deps $(FUZZ_BINS)
	@for f in $(FUZZ); do \
	  echo "fuzz: $$f for $(FUZZ_SECS)s"; \
	  rm -rf $(B)/fuzz/work-$$f && mkdir -p $(B)/fuzz/work-$$f && \
	  cp -r tests/fuzz/corpus/$$f/. $(B)/fuzz/work-$$f/ 2>/dev/null; \
	  $(B)/fuzz/$$f -max_total_time=$(FUZZ_SECS) -print_final_stats=1 -artifact_prefix=$(B)/fuzz/crash-$$f- $(B)/fuzz/work-$$f >$(B)/fuzz/$$f.log 2>&1 \
	    || { tail -40 $(B)/fuzz/$$f.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units' $(B)/fuzz/$$f.log; \
	done

# Every fuzz target over its seed corpus only (-runs=0): deterministic, so
# CI can run it; it keeps the targets building and the seeds (among them
# past crash inputs) passing.
fuzz-regress: deps $(FUZZ_BINS)
	@for f in $(FUZZ); do \
	  $(B)/fuzz/$$f -runs=0 tests/fuzz/corpus/$$f >$(B)/fuzz/$$f.regress.log 2>&1 \
	    || { tail -40 $(B)/fuzz/$$f.regress.log; exit 1; }; \
	  echo "fuzz-regress: $$f: $$(ls tests/fuzz/corpus/$$f | wc -l) seeds ok"; \
	done

deps:
	@tests/deps.sh

check: deps all units
	@B=$(B) tests/run.sh

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
check-san:
	@$(MAKE) --no-print-directory check B=build-san SAN=1

bench: deps all
	@B=$(B) tests/bench/run.sh

run: deps all
	@B=$(B) conf/run.sh

# Stops what `make run` started.
stop:
	@if [ -f run/svscan.pid ]; then s6-svscanctl -t run/service 2>/dev/null; \
	  kill $$(cat run/svscan.pid) 2>/dev/null; rm -f run/svscan.pid; echo "run: stopped"; \
	else echo "run: not running"; fi

# One page per program, from its Markdown manual (TOOL/NAME.md ->
# mxhold-NAME.8; conf/conf.md is mxhold-conf's), its NAME line from the
# program's own --help. doc/man.sh needs go-md2man.
MANUALS := $(filter-out doc/%,$(wildcard */*.md))
MANUALS := $(filter-out tests/% %/README.md,$(MANUALS))
MAN_PAGES := $(foreach m,$(MANUALS),$(B)/man/mxhold-$(basename $(notdir $(m))).8)
man_prog = $(filter $(B)/bin/mxhold-$(basename $(notdir $(1))),$(BINS))
define man_rule
$(B)/man/mxhold-$(basename $(notdir $(1))).8: $(1) doc/man.sh $(call man_prog,$(1))
	@mkdir -p $$(dir $$@)
	doc/man.sh $(1) $$@ $(call man_prog,$(1))
endef
$(foreach m,$(MANUALS),$(eval $(call man_rule,$(m))))
man: $(MAN_PAGES)

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs, their pages,
# and under PREFIX/share/mxhold what conf/install-host.sh makes a relay of:
# the example config, the s6 service templates, the script itself; the
# manuals as Markdown in PREFIX/share/doc/mxhold. mxhold-queue keeps its
# setuid bit, mxhold-tls its setgid bit, across a reinstall when their user
# and group exist (install-host).
SHARE_DIR = $(DESTDIR)$(PREFIX)/share/mxhold
DOC_DIR = $(DESTDIR)$(PREFIX)/share/doc/mxhold
QUEUE_USER ?= mxqueue
TLS_GROUP ?= mxtls
install: all man
	install -d -m 755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 $(DOC_DIR) \
	  $(SHARE_DIR)/example $(SHARE_DIR)/service/smtpd/log $(SHARE_DIR)/service/deliver/log \
	  $(SHARE_DIR)/service/tls/log $(SHARE_DIR)/service/metrics/log
	for f in $(BINS); do install -m 755 $$f $(DESTDIR)$(PREFIX)/bin/; done
	if [ "$$(id -u)" = 0 ] && getent passwd $(QUEUE_USER) >/dev/null; then \
	  chown $(QUEUE_USER):$(QUEUE_USER) $(DESTDIR)$(PREFIX)/bin/mxhold-queue && \
	  chmod 4711 $(DESTDIR)$(PREFIX)/bin/mxhold-queue; fi
	if [ "$$(id -u)" = 0 ] && [ -e $(DESTDIR)$(PREFIX)/bin/mxhold-tls ] && getent group $(TLS_GROUP) >/dev/null; then \
	  chown root:$(TLS_GROUP) $(DESTDIR)$(PREFIX)/bin/mxhold-tls && \
	  chmod 2755 $(DESTDIR)$(PREFIX)/bin/mxhold-tls; fi
	for f in $(MAN_PAGES); do install -m 644 $$f $(DESTDIR)$(PREFIX)/share/man/man8/; done
	for f in conf/example/*; do install -m 644 $$f $(SHARE_DIR)/example/; done
	for s in smtpd deliver tls metrics; do \
	  install -m 755 conf/service/$$s/run $(SHARE_DIR)/service/$$s/run && \
	  install -m 755 conf/service/$$s/log/run $(SHARE_DIR)/service/$$s/log/run || exit 1; done
	install -m 755 conf/install-host.sh $(SHARE_DIR)/install-host.sh
	for f in README.md doc/design.md doc/log.md; do install -m 644 $$f $(DOC_DIR)/; done

# make install-host [PREFIX=...] [CONF=... QUEUE=... ...]: after make
# install, as root: users, /etc/mxhold, the queue, logs, s6 services
# (conf/install-host.sh says what and how; it never overwrites).
install-host: install
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) sh $(SHARE_DIR)/install-host.sh

clean:
	rm -rf $(B) build build-san

.PHONY: man all units fuzz fuzz-regress fuzz-build deps check check-san bench run stop install install-host clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)
