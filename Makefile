# SPDX-License-Identifier: GPL-2.0-or-later
#
# The README's two commands: `make demo` and `make check`. Both install what
# is missing first (scripts/deps.sh), then build with Meson and Ninja.
# `make install PREFIX=DIR` installs libtdxsim (shared and static), its
# headers, tdxsim.pc, the tdxsim command and tdxsim(1) under DIR.

BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_TSAN  ?= build-tsan
PREFIX      ?= /usr/local
BUILD_FUZZ  ?= build-fuzz
FUZZ_SECONDS ?= 60
MESON_TEST  := meson test --print-errorlogs --num-processes 2
# ThreadSanitizer needs a low mmap entropy on recent kernels; run it without ASLR.
NOASLR      := $(shell setarch -R true 2>/dev/null && echo 'setarch -R')

.PHONY: all deps build demo check install uninstall sanitize tsan fuzz bench \
	clean format

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	@scripts/deps.sh
	meson setup $(BUILD) | tail -n 3

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

# The main job on the built-in default: launch a TD from the built-in TDVF
# firmware and run the lazy-accept workload on 2 vCPUs, then print the report.
demo: build
	./$(BUILD)/tools/tdxsim run --vcpus 2

check: build
	@$(MESON_TEST) -C $(BUILD) > $(BUILD)/check.log 2>&1; rc=$$?; \
	  tail -n 25 $(BUILD)/check.log; \
	  scripts/test-summary.py $(BUILD)/meson-logs/testlog.json || rc=1; \
	  exit $$rc

# The prefix is the build's (meson configure); DESTDIR stages the install.
install: build
	@meson configure $(BUILD) -Dprefix=$(abspath $(PREFIX)) > /dev/null
	@ninja -C $(BUILD)
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir $(DESTDIR))
	@libdir=$$(meson introspect $(BUILD) --buildoptions | python3 -c \
	  'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["libdir"])'); \
	echo "installed under $(abspath $(PREFIX)); build against it with"; \
	echo "  PKG_CONFIG_PATH=$(abspath $(PREFIX))/$$libdir/pkgconfig cc prog.c \$$(pkg-config --cflags --libs tdxsim)"; \
	echo "and, unless the dynamic linker searches $(abspath $(PREFIX))/$$libdir, run with LD_LIBRARY_PATH set to it"

uninstall:
	ninja -C $(BUILD) uninstall

$(BUILD_ASAN)/build.ninja:
	@scripts/deps.sh
	meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dbuildtype=debug | tail -n 3

sanitize: deps $(BUILD_ASAN)/build.ninja
	@ninja -C $(BUILD_ASAN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 $(MESON_TEST) -C $(BUILD_ASAN) > $(BUILD_ASAN)/check.log 2>&1; rc=$$?; \
	  tail -n 25 $(BUILD_ASAN)/check.log; \
	  scripts/test-summary.py $(BUILD_ASAN)/meson-logs/testlog.json || rc=1; \
	  exit $$rc

$(BUILD_TSAN)/build.ninja:
	@scripts/deps.sh
	meson setup $(BUILD_TSAN) -Db_sanitize=thread -Db_lundef=false \
	  -Dbuildtype=debugoptimized | tail -n 3

tsan: deps $(BUILD_TSAN)/build.ninja
	@ninja -C $(BUILD_TSAN)
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/scripts/tsan.supp" \
	 $(NOASLR) $(MESON_TEST) -C $(BUILD_TSAN) --suite concurrency \
	   > $(BUILD_TSAN)/check.log 2>&1; rc=$$?; \
	  tail -n 25 $(BUILD_TSAN)/check.log; \
	  scripts/test-summary.py $(BUILD_TSAN)/meson-logs/testlog.json || rc=1; \
	  exit $$rc

# Coverage-guided fuzzing (libFuzzer, clang, ASan+UBSan) of the TDVF and the
# guest-program parsers, FUZZ_SECONDS seconds each; fails on any crash or
# failed check (tests/fuzz/README.md). Only the fuzz targets are built here.
$(BUILD_FUZZ)/build.ninja:
	@scripts/deps.sh
	CC=clang meson setup $(BUILD_FUZZ) -Dfuzzing=true \
	  -Dbuildtype=debugoptimized | tail -n 3

fuzz: deps $(BUILD_FUZZ)/build.ninja
	@ninja -C $(BUILD_FUZZ) tests/fuzz/fuzz_tdvf tests/fuzz/fuzz_program
	@tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

bench: build
	@for b in $(BUILD)/bench/bench_*; do \
	  if [ -f "$$b" ] && [ -x "$$b" ]; then echo "== $$b"; "$$b" || exit 1; fi; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_FUZZ)
