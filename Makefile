# visitsd: a website visitor counter daemon.  See README.md.
#
#   make            build build/visitsd
#   make run        install missing packages, build, run on the embedded store
#   make check      install test dependencies, build, run every test
#   make bench      issue 12's side-by-side figures (wrk on loopback), not a test
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build

CC       ?= cc
PKGS      = libmicrohttpd jansson libcrypto sqlite3 inih libcurl
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla
ifeq ($(CI),true)
WARN     += -Werror
endif
# Hardening, kept whatever CFLAGS/LDFLAGS say (tests/deploy/check-hardening.sh
# checks the binary): stack protector, PIE, full RELRO with immediate
# binding, and _FORTIFY_SOURCE -- which needs optimisation, so a -O0 build
# drops it, as do the sanitizer builds (HARDEN_FORTIFY= below): ASan
# intercepts the same functions.
HARDEN_FORTIFY ?= $(if $(filter -O0,$(CFLAGS)),,-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
HARDEN_CFLAGS  = -fstack-protector-strong -fPIE $(HARDEN_FORTIFY)
HARDEN_LDFLAGS = -pie -Wl,-z,relro,-z,now
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DVISITSD_VERSION='"$(VERSION)"' \
             -Isrc $(WARN) $(CFLAGS) $(HARDEN_CFLAGS) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
             -pthread -MMD -MP
ALL_LDFLAGS = $(HARDEN_LDFLAGS) $(LDFLAGS)
LIBS      = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread

# Every module in src/ goes into the daemon and the unit-test binary; only
# main.c is the daemon's own.  tests/check_<module>.c each define one
# suite_<module>(), collected into $(BUILD)/suites.h for tests/run.c.
SRCS      = $(filter-out src/main.c,$(wildcard src/*.c src/aws/*.c))
OBJS      = $(SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS = $(wildcard tests/check_*.c) tests/run.c
TEST_OBJS = $(TEST_SRCS:%.c=$(BUILD)/%.o)
# The SigV4 conformance vectors (aws-c-auth's, tests/data/aws-sigv4/README.md);
# SIGV4_SUITE=DIR runs another copy.  A missing or empty folder fails.
SIGV4_SUITE ?= $(abspath tests/data/aws-sigv4)

.PHONY: all run deps check check-unit check-integration check-docker bench \
        install uninstall clean node-deps check-modules check-fresh

all: $(BUILD)/visitsd

$(BUILD)/visitsd: $(BUILD)/src/main.o $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/check_visitsd: $(TEST_OBJS) $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs check)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/run.o: $(BUILD)/suites.h
$(BUILD)/tests/%.o: ALL_CFLAGS += -I$(BUILD) $(shell pkg-config --cflags check)
$(BUILD)/suites.h: $(wildcard tests/check_*.c)
	@mkdir -p $(@D)
	sed -n 's/^Suite \*\(suite_[a-z0-9_]*\)(void)$$/SUITE(\1)/p' $^ > $@

deps:
	@scripts/deps.sh build

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-dev.sh $(BUILD)/visitsd

node-deps: tests/node_modules/.package-lock.json
tests/node_modules/.package-lock.json: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error

check:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all $(BUILD)/check_visitsd node-deps
	@$(MAKE) --no-print-directory check-unit check-valgrind check-integration \
	    check-deploy check-modules

# No test may reach the real instance metadata service at 169.254.169.254:
# IMDS is off for every test process, and the tests that use it point it at
# their own peer and switch it back on (AWS_EC2_METADATA_DISABLED=false).
check-unit check-valgrind check-integration: export AWS_EC2_METADATA_DISABLED = true

# The DynamoDB store tests need the AWS test peer: with-harness.sh runs it.
check-unit: $(BUILD)/check_visitsd node-deps
	SIGV4_SUITE=$(SIGV4_SUITE) CK_ENV=1 tests/with-harness.sh $(BUILD)/check_visitsd

# make check-valgrind: every unit suite under valgrind memcheck, in one
# process (CK_FORK=no; the suites restore what they change, so they can
# share it).  Any error or definite/indirect leak fails it; tests/valgrind.supp
# is for third-party one-time setup only.  CK_RUN_SUITE=sigv4 runs one suite.
# It takes two to three minutes.  --fair-sched=yes: valgrind runs one
# thread at a time, and its default lock let check_apikey's four spinning
# readers starve the writer for good; the timeout turns any other hang into
# a failure that names it instead of a CI run that never ends.
VALGRIND = timeout 1200 valgrind -q --fair-sched=yes --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=1 --num-callers=30 --suppressions=tests/valgrind.supp
.PHONY: check-valgrind
check-valgrind: $(BUILD)/check_visitsd node-deps
	CK_FORK=no SIGV4_SUITE=$(SIGV4_SUITE) tests/with-harness.sh $(VALGRIND) $(BUILD)/check_visitsd

# The integration test files run one at a time, as they always have: each
# starts its own daemons and peers, and some measure timeouts that a loaded
# machine stretches.  A loop rather than --test-concurrency=1, which Node.js 18 (Debian
# 12's) does not have.  INTEGRATION_TESTS=tests/integration/core.test.mjs
# runs one file.  Every answer the tests get from a daemon is checked
# against docs/openapi.yaml (tests/integration/lib/conformance.mjs); the
# last line says how many of its documented answers the run exercised
# (VISITSD_OPENAPI_COVERAGE=verbose lists the others).
INTEGRATION_TESTS ?= $(sort $(wildcard tests/integration/*.test.mjs))
OPENAPI_SEEN = $(abspath $(BUILD)/openapi-seen.ndjson)
check-integration: $(BUILD)/visitsd node-deps
	@rm -f $(OPENAPI_SEEN); failed=; for f in $(INTEGRATION_TESTS); do \
	    echo "check-integration: $$f"; \
	    VISITSD_OPENAPI_SEEN=$(OPENAPI_SEEN) VISITSD_BIN=$(abspath $(BUILD)/visitsd) \
	        node --test "$$f" || failed="$$failed $$f"; \
	done; \
	node tests/integration/lib/openapi-coverage.mjs $(OPENAPI_SEEN); \
	if [ -n "$$failed" ]; then echo "check-integration: FAILED:$$failed" >&2; exit 1; fi

# No module circles at link level: no two objects of src/ use each other's
# symbols, directly or through others (nm; tests/check-modules.sh), after a
# self-test of the checker on throwaway objects with and without circles.
check-modules: $(OBJS)
	tests/check-modules.sh --self-test
	tests/check-modules.sh $(BUILD) $(SRCS:%.c=%.o)

# make bench: issue 12's table, every contender side by side in one run
# (scripts/bench.sh, bench/bench.mjs; BENCH_QUICK=1 for a smoke run).
# make bench-limiter: the rate limiter and unique visitors on/off
# (scripts/bench-limiter.sh).
.PHONY: bench-deps bench-limiter
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BUILD)/bench_bot node-deps bench-deps
	@scripts/bench.sh $(BUILD)/visitsd

bench-deps: bench/node_modules/.package-lock.json
bench/node_modules/.package-lock.json: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --loglevel=error

bench-limiter: all
	@scripts/bench-limiter.sh $(BUILD)/visitsd

# The bot matcher's ns/match (scripts/bench.sh runs it first).
$(BUILD)/bench_bot: $(BUILD)/tests/bench/bench_bot.o $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# make demo: the example page (web/) on 127.0.0.1:8081 counting on visitsd
# at 127.0.0.1:8080, SQLite and the dev key under ./var.  docs/frontend.md.
.PHONY: demo
demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD)/visitsd

# --- deployment: install, systemd, template and container checks ----------
# The daemon goes to sbin (it is a system service, visitsd(8)); the unit's
# /usr/local/sbin is rewritten to $(SBINDIR) on install.
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/visitsd
UNITDIR  ?= $(PREFIX)/lib/systemd/system
INSTALL  ?= install

.PHONY: check-deploy

install: $(BUILD)/visitsd
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(BUILD)/visitsd $(DESTDIR)$(SBINDIR)/visitsd
	$(INSTALL) -m 0644 docs/visitsd.8 $(DESTDIR)$(MANDIR)/man8/visitsd.8
	$(INSTALL) -m 0644 config.example.ini $(DESTDIR)$(DOCDIR)/config.example.ini
	$(INSTALL) -m 0644 systemd/visitsd.env $(DESTDIR)$(DOCDIR)/visitsd.env.example
	sed 's|/usr/local/sbin/|$(SBINDIR)/|g' systemd/visitsd.service \
	    > $(DESTDIR)$(UNITDIR)/visitsd.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/visitsd.service.tmp
	mv $(DESTDIR)$(UNITDIR)/visitsd.service.tmp $(DESTDIR)$(UNITDIR)/visitsd.service

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/visitsd $(DESTDIR)$(MANDIR)/man8/visitsd.8 \
	    $(DESTDIR)$(DOCDIR)/config.example.ini \
	    $(DESTDIR)$(DOCDIR)/visitsd.env.example \
	    $(DESTDIR)$(UNITDIR)/visitsd.service
	-rmdir $(DESTDIR)$(DOCDIR)

check-deploy: $(BUILD)/visitsd node-deps
	tests/deploy/check-hardening.sh $(BUILD)/visitsd
	tests/deploy/check-install.sh "$(MAKE)" BUILD=$(BUILD)
	tests/deploy/check-systemd.sh "$(MAKE)" BUILD=$(BUILD)
	promtool=$$(scripts/promtool.sh $(BUILD)/tools) && \
	    $$promtool check rules deploy/monitoring/rules.yml && \
	    $$promtool test rules deploy/monitoring/rules.test.yml
	VISITSD_BIN=$(abspath $(BUILD)/visitsd) node --test tests/deploy/

check-docker: node-deps deb
	@scripts/deps.sh docker
	VISITSD_DEB_DIR=$(abspath $(DEB_BUILD)) tests/deploy/check-docker.sh $(BUILD)/docker

# make deb: the Debian package (debian/), built from a copy of the tracked
# files in $(DEB_BUILD)/visitsd-$(VERSION) so that dpkg-buildpackage writes
# the .deb, .changes and .buildinfo to $(DEB_BUILD) and the tree stays
# clean; lintian must find no error.  make check-deb installs it into a
# fresh Debian 12 root and purges it again (tests/deploy/check-deb.sh).
DEB_BUILD ?= $(BUILD)/deb

.PHONY: deb check-deb

deb:
	@scripts/deps.sh deb
	rm -rf $(DEB_BUILD) && mkdir -p $(DEB_BUILD)/visitsd-$(VERSION)
	git ls-files -z --cached --others --exclude-standard | \
	    tar --null -T - --ignore-failed-read -cf - | \
	    tar -x -C $(DEB_BUILD)/visitsd-$(VERSION)
	cd $(DEB_BUILD)/visitsd-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error $(DEB_BUILD)/*.changes

check-deb: deb
	@scripts/deps.sh docker
	tests/deploy/check-deb.sh $(DEB_BUILD) $(BUILD)/docker

# make check-fresh: the README's `make run` and `make check` on a fresh
# Debian 12 (debootstrap minbase plus git, make, curl, ca-certificates) in a
# container, on a clone of HEAD with no ../shared beside it.  Shares
# check-docker's cache (the debootstrap tarball, the private dockerd's data
# root).  docs/testing.md.
check-fresh:
	@scripts/deps.sh fresh
	tests/deploy/check-fresh.sh $(BUILD)/docker

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(BUILD)/src/main.d

# Generated configuration docs (src/config.c's table); the config unit
# tests fail when the committed files are stale.
.PHONY: config-docs
config-docs: $(BUILD)/visitsd
	$(BUILD)/visitsd --config-markdown > docs/configuration.md
	$(BUILD)/visitsd --config-example > config.example.ini

# make bot-table: src/bot_table.c from the crawler list pinned in
# scripts/bots/package.json (crawler-user-agents, MIT), by
# scripts/gen-bots.mjs.  By hand when the list is bumped; the table is
# committed, so the build needs neither npm nor the list.
.PHONY: bot-table
bot-table:
	cd scripts/bots && npm ci --no-audit --no-fund --loglevel=error
	node scripts/gen-bots.mjs

# --- sanitizers and fuzzing (docs/testing.md) ------------------------------
# make check-asan: the unit and integration tests on an AddressSanitizer +
# UBSan build in $(ASAN_BUILD).  Reports go to files, so a leak in a daemon
# that a test stopped without checking its exit status still fails the run.
# Not part of `make check`: it doubles the test time.
# make fuzz: the libFuzzer targets tests/fuzz/fuzz_*.c, built with clang
# into $(FUZZ_BUILD)/ and run for FUZZ_SECONDS each; the corpus grows in
# $(FUZZ_BUILD)/corpus/, seeded from tests/fuzz/seeds/<name>/, with the
# dictionary tests/fuzz/<name>.dict (the AWS answer targets share
# aws_json.dict).
ASAN_BUILD   ?= build/asan
SAN_FLAGS     = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_BUILD   ?= build/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_NAMES    = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: check-asan fuzz fuzz-build

# hotkey.test.mjs is left out here: it asserts throughput ratios and an
# error rate under a write budget, which a build three times slower than
# the real one measures, not visitsd (it runs in make check).
ASAN_INTEGRATION = $(filter-out tests/integration/hotkey.test.mjs,$(INTEGRATION_TESTS))

check-asan: node-deps
	@scripts/deps.sh check
	@rm -rf $(ASAN_BUILD)/reports && mkdir -p $(ASAN_BUILD)/reports
	@r=$(abspath $(ASAN_BUILD))/reports; \
	ASAN_OPTIONS=detect_leaks=1:log_path=$$r/asan \
	UBSAN_OPTIONS=print_stacktrace=1:log_path=$$r/ubsan \
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CFLAGS='$(SAN_FLAGS)' \
	    HARDEN_FORTIFY= LDFLAGS='-fsanitize=address,undefined' \
	    INTEGRATION_TESTS='$(ASAN_INTEGRATION)' check-unit check-integration; \
	rc=$$?; \
	if [ -n "$$(ls $$r)" ]; then cat $$r/*; echo "check-asan: sanitizer reports in $$r" >&2; exit 1; fi; \
	exit $$rc

fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	    HARDEN_FORTIFY= CFLAGS='$(SAN_FLAGS) -fsanitize=fuzzer-no-link' fuzz-build
	@for n in $(FUZZ_NAMES); do \
	    d=tests/fuzz/$$n.dict; [ -f $$d ] || d=tests/fuzz/aws_json.dict; \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
	    echo "fuzz_$$n: $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -dict=$$d \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/$$n- \
	        $(FUZZ_BUILD)/corpus/$$n tests/fuzz/seeds/$$n || exit 1; \
	done

fuzz-build: $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)
.SECONDARY: $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%.o)

$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(OBJS)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

-include $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%.d)
