# `make fuzz`: the fuzz targets built with clang and libFuzzer, each run for
# FUZZ_SECONDS from its seed corpus. GNU make reads this file together with the
# generated Makefile (make -f Makefile -f tests/fuzz/fuzz.mk), so the core's sources,
# flags, libraries and FUZZ_TARGETS come from there, not from a copy.
#
# Everything lands in tests/fuzz/build/: the core built for fuzzing, the targets,
# corpus/NAME/ (inputs libFuzzer found; the seeds in the source tree stay as they
# are) and crash-NAME-* (inputs that crashed, leaked or broke an invariant).

FUZZ_OUT = tests/fuzz/build
FUZZ_FLAGS = -g -O1 -std=c11 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_COMPILE = $(FUZZ_CC) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS) \
	$(SQLITE_CFLAGS) $(YAML_CFLAGS) $(CRYPTO_CFLAGS) $(LIBSSH_CFLAGS) $(FUZZ_FLAGS)
FUZZ_CORE_OBJS = $(patsubst %.c,$(FUZZ_OUT)/%.o,$(filter %.c,$(core_libopsdeck_core_a_SOURCES)))
FUZZ_BINS = $(patsubst tests/fuzz/%,$(FUZZ_OUT)/%,$(FUZZ_TARGETS))

$(FUZZ_OUT)/%.o: $(top_srcdir)/%.c
	@mkdir -p $(@D)
	@echo "  FUZZCC   $<"
	@$(FUZZ_COMPILE) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_OUT)/libcore.a: $(FUZZ_CORE_OBJS)
	@rm -f $@
	@$(AR) cr $@ $^

$(FUZZ_OUT)/fuzz_%: $(top_srcdir)/tests/fuzz/fuzz_%.c $(top_srcdir)/tests/fuzz/fuzz.h $(FUZZ_OUT)/libcore.a
	@echo "  FUZZLD   $@"
	@$(FUZZ_COMPILE) -fsanitize=fuzzer -o $@ $< $(FUZZ_OUT)/libcore.a $(CORE_LIBS) $(LIBS)

fuzz-build: $(FUZZ_BINS)

# One target after the other, so FUZZ_SECONDS is each one's share of the machine.
fuzz-run: fuzz-build
	@st=0; \
	for t in $(FUZZ_TARGETS); do \
	  name=$${t##*/fuzz_}; \
	  mkdir -p $(FUZZ_OUT)/corpus/$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS) s"; \
	  LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0' \
	  UBSAN_OPTIONS='print_stacktrace=1:halt_on_error=1' \
	  $(FUZZ_OUT)/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/crash-$$name- \
	    $(FUZZ_OUT)/corpus/$$name $(top_srcdir)/tests/fuzz/corpus/$$name \
	    >$(FUZZ_OUT)/$$name.log 2>&1; \
	  rc=$$?; \
	  grep -E '^#[0-9]+.*DONE|^stat::number_of_executed_units|^stat::average_exec_per_sec' $(FUZZ_OUT)/$$name.log; \
	  if [ $$rc -ne 0 ]; then \
	    st=1; \
	    echo "fuzz: $$name FOUND A PROBLEM (exit $$rc); the input is $(FUZZ_OUT)/crash-$$name-*:"; \
	    grep -E 'ERROR|SUMMARY|invariant broken|runtime error' $(FUZZ_OUT)/$$name.log | head -n 10; \
	    echo "fuzz: full report in $(FUZZ_OUT)/$$name.log"; \
	  fi; \
	done; \
	exit $$st

.PHONY: fuzz-build fuzz-run
