# memkit — the two commands that work on a fresh Debian 12 machine:
#   make demo   install what is missing, generate from memkit.toml.example,
#               build and run the game-loop demo
#   make test   install what is missing, build, run every test (plain build,
#               then the runtime tests under ASan+UBSan, under TSan and as a
#               32-bit i386 build)
# and for developers:
#   make bench  microbenchmarks against glibc, mimalloc and jemalloc, and the
#               async tier against DPDK's rte_mempool and a mutex+condvar pool
#   make bench-mt  multi-threaded throughput (1-8 threads) against the same peers
#   make fuzz   the libFuzzer harness for FUZZ_SECONDS (default 600)
#   make soak   longer than CI affords: the TSan stress tests (all tiers, and
#               the async tier's) with SOAK_OPS operations per thread, then an
#               hour of fuzzing
#   make regen  regenerate the committed demo sources and golden test outputs

# Debian packages the build and tests need (bench adds its own): libuv for the
# async tier's adapter test and example, spin for its protocol model, Vulkan
# with lavapipe (a software GPU) and the validation layers for the GPU tier;
# g++ for the C++ interface's tests (clang++ comes with clang); the 32-bit
# libraries for the i386 build; an Arm bare-metal toolchain with newlib and
# QEMU for the Cortex-M4 test (docs/embedded.md); libclang's Python binding for
# memkit-lens check and Chromium for the report's browser test (docs/lens.md);
# Lua 5.4, SQLite, zlib, SDL2, Bullet Physics and Dear ImGui (with libuv above)
# for the library adapters' tests and benches (docs/integrations.md); the sqlite3 and lua5.4
# programs and the mimalloc and jemalloc peers for libmemkit_override's proofs and bench
# (tests/override, bench/run_override.sh).
APT_PACKAGES := gcc g++ clang libclang-rt-14-dev cmake ninja-build binutils python3 python3-jinja2 valgrind \
  pkg-config libuv1-dev spin libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers \
  gcc-multilib g++-multilib gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm \
  python3-clang-14 libclang1-14 chromium \
  liblua5.4-dev libsqlite3-dev zlib1g-dev libsdl2-dev libbullet-dev libimgui-dev \
  sqlite3 lua5.4 libmimalloc-dev libjemalloc-dev

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
JOBS ?= 2
BUILD ?= build

# The first Python >= 3.11 that imports jinja2 (after `deps` has run).
FIND_PYTHON = py=$${PYTHON:-}; \
  if [ -z "$$py" ]; then for p in python3 /usr/bin/python3; do \
    if $$p -c 'import sys, jinja2; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then py=$$(command -v $$p); break; fi; \
  done; fi; \
  [ -n "$$py" ] || { echo "no Python 3.11+ with Jinja2 found (apt-get install python3-jinja2)"; exit 1; }

CMAKE_CONFIGURE = cmake -S . -G Ninja -DMEMKIT_PYTHON="$$py"

.PHONY: all deps demo test test-plain test-asan test-tsan test-m32 bench bench-mt fuzz soak regen clean

all: test

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "memkit: installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: deps
	@$(FIND_PYTHON); set -e; \
	"$$py" generator/memkit-gen memkit.toml.example -o examples/gen; \
	$(CMAKE_CONFIGURE) -B $(BUILD)/demo -DCMAKE_BUILD_TYPE=Release -DMEMKIT_BUILD_TESTS=OFF >/dev/null; \
	cmake --build $(BUILD)/demo --target game_loop; \
	$(BUILD)/demo/examples/game_loop --record $(BUILD)/demo/recording.json; \
	"$$py" tools/memkit-lens report $(BUILD)/demo/recording.json --config memkit.toml.example \
	  -o $(BUILD)/demo/report.html; \
	echo "memkit-lens: the demo's report is $(BUILD)/demo/report.html (open it in a browser)"

test: deps
	@$(MAKE) --no-print-directory test-asan test-tsan test-m32 test-plain

test-plain:
	@$(FIND_PYTHON); set -e; \
	echo "== plain build (gcc): every test"; \
	$(CMAKE_CONFIGURE) -B $(BUILD)/test -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null; \
	cmake --build $(BUILD)/test -j $(JOBS); \
	ctest --test-dir $(BUILD)/test --output-on-failure -j $(JOBS)

test-asan:
	@$(FIND_PYTHON); set -e; \
	echo "== clang ASan+UBSan: runtime tests"; \
	$(CMAKE_CONFIGURE) -B $(BUILD)/asan -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
	  -DMEMKIT_SANITIZE=address,undefined >/dev/null; \
	cmake --build $(BUILD)/asan -j $(JOBS); \
	ctest --test-dir $(BUILD)/asan -L runtime --output-on-failure -j $(JOBS)

test-tsan:
	@$(FIND_PYTHON); set -e; \
	echo "== clang TSan: runtime tests"; \
	$(CMAKE_CONFIGURE) -B $(BUILD)/tsan -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMEMKIT_SANITIZE=thread >/dev/null; \
	cmake --build $(BUILD)/tsan -j $(JOBS); \
	ctest --test-dir $(BUILD)/tsan -L runtime --output-on-failure -j $(JOBS)

# 32-bit pointers and size_t (gcc-multilib, g++-multilib): truncations and address wraps
# that 64-bit builds cannot show. Valgrind's tracking test is left out: it
# needs the i386 libc's debug symbols.
test-m32:
	@$(FIND_PYTHON); set -e; \
	echo "== gcc -m32 (i386): runtime tests"; \
	$(CMAKE_CONFIGURE) -B $(BUILD)/m32 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS=-m32 \
	  -DCMAKE_CXX_FLAGS=-m32 -DMEMKIT_BUILD_EXAMPLES=OFF >/dev/null; \
	cmake --build $(BUILD)/m32 -j $(JOBS); \
	ctest --test-dir $(BUILD)/m32 -L runtime -E '^track_valgrind$$' --output-on-failure -j $(JOBS)

bench: deps
	@$(FIND_PYTHON); PYTHON="$$py" bash bench/run.sh && PYTHON="$$py" bash bench/run_gpu.sh

bench-mt: deps
	@$(FIND_PYTHON); PYTHON="$$py" bash bench/run_mt.sh

FUZZ_SECONDS ?= 600
fuzz: deps
	@$(FIND_PYTHON); PYTHON="$$py" bash tests/fuzz/run.sh $(FUZZ_SECONDS)

SOAK_OPS ?= 3000000
soak: deps test-tsan
	@echo "== soak: TSan stress, $(SOAK_OPS) operations per thread"
	MEMKIT_STRESS_OPS=$(SOAK_OPS) $(BUILD)/tsan/tests/test_threads
	MEMKIT_STRESS_OPS=$(SOAK_OPS) $(BUILD)/tsan/tests/test_async_stress
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=3600

regen:
	@$(FIND_PYTHON); set -e; \
	"$$py" generator/memkit-gen memkit.toml.example -o examples/gen; \
	"$$py" tests/generator/update_golden.py

clean:
	rm -rf $(BUILD)
