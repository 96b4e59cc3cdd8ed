# bloodcell: the one entry point.
#   make serve   install what is missing, build native + wasm, serve web/ on 127.0.0.1:8000
#   make test    run every test
#   make bench   kernel and whole-model benchmarks (prints ratios against peers measured in the same run)

SHELL := /bin/bash
PY ?= /usr/bin/python3
EMCC ?= emcc
export NODE_PATH := /usr/share/nodejs
PORT ?= 8000
MODEL ?= models/bloodcell.bin
TEST_MODEL := tests/fixtures/random-model.bin

CFLAGS_COMMON := -std=c99 -Wall -Wextra -Werror -Isrc
NATIVE_CFLAGS := $(CFLAGS_COMMON) -O2 -g -DBC_WITH_XNNPACK
NATIVE_LIBS := -lXNNPACK -lpthreadpool -lm -lpthread
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# stb_image is third-party: it is compiled without -Werror and -Wextra.
STB_CFLAGS := -std=c99 -O2 -g -w

KERNEL_SCALAR := $(wildcard src/kernels/*/*scalar.c) src/kernels/select.c
KERNEL_SIMD := $(wildcard src/kernels/*/*wasmsimd.c)
ENGINE_SRC := src/engine.c src/model.c src/ops.c src/preprocess.c src/frame.c src/bc_status.c
HEADERS := $(wildcard src/*.h src/kernels/*.h)

N := build/native
W := build/wasm
WEB_ENGINE := web/engine/bloodcell.js web/engine/bloodcell.wasm

.PHONY: all native wasm web-data web-assets measure-web bench-web model model-artifacts serve test test-make test-native test-sanitize test-wasm test-python test-browser bench deps clean

all: native wasm

# Idempotent: a second run only checks (about 0.2 s).
deps:
	bash scripts/install-deps.sh

# ---- native ---------------------------------------------------------------------------------
native: $(N)/bloodcell

$(N)/stb_image.o: src/stb_image_impl.c
	@mkdir -p $(N)
	@mkdir -p $(@D)
	gcc $(STB_CFLAGS) -c $< -o $@

$(N)/san/stb_image.o: src/stb_image_impl.c
	@mkdir -p $(N)/san
	@mkdir -p $(@D)
	gcc $(STB_CFLAGS) $(SAN_FLAGS) -c $< -o $@

# The CLI's own parts (folders, the map's kNN rule, the summary, CSV/JSON output) are not in the engine.
CLI_SRC := src/cli.c src/cli_locate.c src/walk.c src/refmap.c src/summary.c src/emit.c src/json.c src/readfile.c
$(N)/bloodcell: $(CLI_SRC) $(ENGINE_SRC) $(KERNEL_SCALAR) $(HEADERS) $(N)/stb_image.o
	@mkdir -p $(@D)
	gcc $(NATIVE_CFLAGS) $(CLI_SRC) $(ENGINE_SRC) $(KERNEL_SCALAR) $(N)/stb_image.o $(NATIVE_LIBS) -o $@

$(N)/test_engine: tests/test_engine.c $(ENGINE_SRC) $(KERNEL_SCALAR) $(HEADERS) $(N)/stb_image.o
	@mkdir -p $(@D)
	gcc $(NATIVE_CFLAGS) $< $(ENGINE_SRC) $(KERNEL_SCALAR) $(N)/stb_image.o $(NATIVE_LIBS) -o $@

$(N)/test_ops_xnnpack: tests/test_ops_xnnpack.c src/ops.c $(KERNEL_SCALAR) $(HEADERS)
	@mkdir -p $(@D)
	gcc $(NATIVE_CFLAGS) $< src/ops.c $(KERNEL_SCALAR) $(NATIVE_LIBS) -o $@

# the preprocessing and framing kernels' scalar references (the engine's are KERNEL_SCALAR)
PRE_KERNELS_SCALAR := src/kernels/u8-rgb-hresample/scalar.c src/kernels/u16-u8-vacc/scalar.c
$(N)/test_preprocess: tests/test_preprocess.c src/preprocess.c src/frame.c src/bc_status.c src/preprocess.h src/frame.h $(PRE_KERNELS_SCALAR) $(N)/stb_image.o
	@mkdir -p $(@D)
	gcc $(CFLAGS_COMMON) -O2 -g $< src/preprocess.c src/frame.c src/bc_status.c $(PRE_KERNELS_SCALAR) $(N)/stb_image.o -lm -o $@

FRAME_TEST_SRC := src/preprocess.c src/frame.c src/bc_status.c $(PRE_KERNELS_SCALAR)
$(N)/test_frame: tests/test_frame.c $(FRAME_TEST_SRC) src/preprocess.h src/frame.h $(N)/stb_image.o
	@mkdir -p $(@D)
	gcc $(CFLAGS_COMMON) -O2 -g $< $(FRAME_TEST_SRC) $(N)/stb_image.o -lm -o $@

$(N)/san/test_frame: tests/test_frame.c $(FRAME_TEST_SRC) src/preprocess.h src/frame.h $(N)/san/stb_image.o
	@mkdir -p $(@D)
	gcc $(CFLAGS_COMMON) -O1 -g $(SAN_FLAGS) $< $(FRAME_TEST_SRC) $(N)/san/stb_image.o -lm -o $@

# The preprocessing as a shared library for the training side (scripts/model/pbc_data.py, ctypes).
PRE_LIB_SRC := src/preprocess_lib.c src/preprocess.c src/frame.c src/bc_status.c $(PRE_KERNELS_SCALAR)
$(N)/pic/stb_image.o: src/stb_image_impl.c
	@mkdir -p $(@D)
	gcc $(STB_CFLAGS) -fPIC -c $< -o $@

$(N)/libbcpreprocess.so: $(PRE_LIB_SRC) src/preprocess.h src/frame.h $(N)/pic/stb_image.o
	gcc $(CFLAGS_COMMON) -O2 -g -fPIC -shared -fvisibility=hidden $(PRE_LIB_SRC) $(N)/pic/stb_image.o -lm -o $@

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
$(N)/san/test_engine: tests/test_engine.c $(ENGINE_SRC) $(KERNEL_SCALAR) $(HEADERS) $(N)/san/stb_image.o
	@mkdir -p $(@D)
	gcc $(NATIVE_CFLAGS) $(SAN_FLAGS) $< $(ENGINE_SRC) $(KERNEL_SCALAR) $(N)/san/stb_image.o $(NATIVE_LIBS) -o $@

$(N)/san/test_ops_xnnpack: tests/test_ops_xnnpack.c src/ops.c $(KERNEL_SCALAR) $(HEADERS)
	@mkdir -p $(@D)
	gcc $(NATIVE_CFLAGS) $(SAN_FLAGS) $< src/ops.c $(KERNEL_SCALAR) $(NATIVE_LIBS) -o $@

# The CLI too: its threads, folder walk and file readers under the sanitizers (tests/test_cli.sh).
$(N)/san/bloodcell: $(CLI_SRC) $(ENGINE_SRC) $(KERNEL_SCALAR) $(HEADERS) $(N)/san/stb_image.o
	@mkdir -p $(@D)
	gcc $(NATIVE_CFLAGS) $(SAN_FLAGS) $(CLI_SRC) $(ENGINE_SRC) $(KERNEL_SCALAR) $(N)/san/stb_image.o $(NATIVE_LIBS) -o $@

$(N)/san/test_preprocess: tests/test_preprocess.c src/preprocess.c src/frame.c src/bc_status.c src/preprocess.h src/frame.h $(PRE_KERNELS_SCALAR) $(N)/san/stb_image.o
	@mkdir -p $(@D)
	gcc $(CFLAGS_COMMON) -O1 -g $(SAN_FLAGS) $< src/preprocess.c src/frame.c src/bc_status.c $(PRE_KERNELS_SCALAR) $(N)/san/stb_image.o -lm -o $@

# ---- wasm -----------------------------------------------------------------------------------
WASM_CFLAGS := $(CFLAGS_COMMON) -O3 -msimd128 -DNDEBUG -isystem $(W)/include
WASM_EXPORTS := -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=UTF8ToString
# Binaryen inlines every function that has one caller, whatever its size: bc_wasm_load and
# bc_preprocess grew to 22 and 36 KB. V8 compiles a function when first called (Liftoff) and again
# with TurboFan when it runs hot, and one 22 KB function took 79 ms of TurboFan on one of our two
# cores during the first classification (Chromium trace); capped, the largest tier-up took 14 ms.
WASM_INLINE := -sBINARYEN_EXTRA_PASSES=--one-caller-inline-max-function-size=200
WASM_LDFLAGS := -sENVIRONMENT=web,worker -sMODULARIZE -sEXPORT_ES6 -sEXPORT_NAME=createBloodcellModule \
  -sALLOW_MEMORY_GROWTH -sFILESYSTEM=0 -sMALLOC=emmalloc $(WASM_EXPORTS) $(WASM_INLINE)

wasm: $(WEB_ENGINE)

# emcc has its own sysroot: it sees Debian's stb header through a one-entry include folder.
# -fno-inline-functions keeps stb's loaders out of one 23 KB stbi__load_main (JPEG, PNG, BMP, ...):
# V8 compiles a function when first called and again with TurboFan once hot, so the first image
# paid for all the formats; decoding is ~5% slower once warm (1.46 -> 1.53 ms per 360x363 JPEG).
$(W)/stb_image.o: src/stb_image_impl.c
	@mkdir -p $(W)/include
	ln -sfn /usr/include/stb $(W)/include/stb
	$(EMCC) $(STB_CFLAGS) -O3 -msimd128 -msse2 -fno-inline-functions -I$(W)/include -c $< -o $@

web/engine/bloodcell.js web/engine/bloodcell.wasm &: src/wasm_api.c $(ENGINE_SRC) $(KERNEL_SCALAR) $(KERNEL_SIMD) $(HEADERS) $(W)/stb_image.o
	$(EMCC) $(WASM_CFLAGS) src/wasm_api.c $(ENGINE_SRC) $(KERNEL_SCALAR) $(KERNEL_SIMD) $(W)/stb_image.o $(WASM_LDFLAGS) -o web/engine/bloodcell.js

$(W)/test_kernels_simd.cjs: tests/test_kernels_simd.c src/ops.c $(KERNEL_SCALAR) $(KERNEL_SIMD) $(HEADERS)
	@mkdir -p $(W)
	$(EMCC) $(CFLAGS_COMMON) -O2 -msimd128 $< src/ops.c $(KERNEL_SCALAR) $(KERNEL_SIMD) \
	  -sENVIRONMENT=node -sALLOW_MEMORY_GROWTH -sEXIT_RUNTIME -sSINGLE_FILE -o $@

# ---- web ------------------------------------------------------------------------------------
WEB_MODEL := web/models/bloodcell.bin

$(WEB_MODEL): $(wildcard $(MODEL)) $(TEST_MODEL)
	@mkdir -p web/models
	@if [ -f $(MODEL) ]; then cp $(MODEL) $@; else echo "note: $(MODEL) not trained yet; the page uses the random-weights test model"; cp $(TEST_MODEL) $@; fi

# The reference-cell map and model card (models/ when built, else stand-ins from build/eval-smoke/),
# then the service worker that precaches all of web/ with content-hash revisions.
web-data:
	@bash scripts/web/copy_web_data.sh

# The TIFF decoder (npm utif + pako, pinned in package-lock.json) as one module in web/vendor/.
VENDOR := web/vendor/utif.js
$(VENDOR): scripts/web/build_vendor.mjs package-lock.json
	node scripts/web/build_vendor.mjs

web-assets: wasm $(WEB_MODEL) web-data $(VENDOR)
	node scripts/web/build_worker.mjs
	node scripts/web/build_sw.mjs

serve: deps native web-assets
	node scripts/web/serve.mjs --root web --port $(PORT)

# ---- model ----------------------------------------------------------------------------------
# The whole model from the data in one command: train, int8 export (and the parity fixture),
# reference-cell map, engine evaluation + temperature + model card, ONNX for the speed race.
# `make model-artifacts` redoes everything after training from build/train/main/model.pt.
model:
	$(PY) scripts/model/train.py --out build/train/main
	$(MAKE) model-artifacts

model-artifacts: $(N)/bloodcell
	$(PY) scripts/model/export.py
	$(PY) scripts/model/build_reference_map.py --jobs 2 --backend xnnpack
	$(PY) scripts/model/evaluate.py --jobs 2 --backend xnnpack
	$(PY) scripts/model/export_onnx.py --model $(MODEL) --out build/onnx

# ---- tests ----------------------------------------------------------------------------------
# deps comes first: on a fresh clone `make test` installs what is missing before anything compiles
# (tests/test_make.sh checks that order).
test: deps test-make test-native test-sanitize test-fuzz test-wasm test-python test-browser
	@echo "make test: all suites passed"

test-make:
	bash tests/test_make.sh

test-native: $(N)/test_ops_xnnpack $(N)/test_engine $(N)/test_preprocess $(N)/test_frame $(N)/bloodcell
	$(N)/test_ops_xnnpack 400
	$(N)/test_engine $(TEST_MODEL) tests/fixtures/random-model-cases.bin
	$(N)/test_engine tests/fixtures/random-model-sub.bin tests/fixtures/random-model-sub-cases.bin
	$(N)/test_engine tests/fixtures/random-model-sub-v3.bin tests/fixtures/random-model-sub-cases.bin
	$(N)/test_engine $(MODEL) tests/fixtures/model-parity.bin
	$(N)/test_preprocess
	$(N)/test_frame
	bash tests/test_cli.sh
	bash tests/test_locate.sh

test-sanitize: $(N)/san/test_ops_xnnpack $(N)/san/test_engine $(N)/san/test_preprocess $(N)/san/test_frame $(N)/san/bloodcell
	$(N)/san/test_ops_xnnpack 100
	$(N)/san/test_engine $(TEST_MODEL) tests/fixtures/random-model-cases.bin
	$(N)/san/test_engine tests/fixtures/random-model-sub.bin tests/fixtures/random-model-sub-cases.bin
	$(N)/san/test_engine tests/fixtures/random-model-sub-v3.bin tests/fixtures/random-model-sub-cases.bin
	$(N)/san/test_preprocess
	$(N)/san/test_frame
	BLOODCELL_CLI=$(N)/san/bloodcell bash tests/test_cli.sh
	BLOODCELL_CLI=$(N)/san/bloodcell bash tests/test_locate.sh

# ---- fuzzing and soak (docs/robustness.md) ---------------------------------------------------
# libFuzzer targets built with Debian's clang-14 under ASan + UBSan, own scalar kernels (no XNNPACK).
# make fuzz [FUZZ_SECONDS=N]: each target N s (new inputs go to build/fuzz/corpus/, never to the committed
# tests/fuzz/corpus/); exits non-zero on any crash, leak, UBSan report, timeout or OOM.
F := build/fuzz
FUZZ_CC ?= clang-14
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := $(CFLAGS_COMMON) -O2 -g -fsanitize=fuzzer $(FUZZ_SAN) -Itests/fuzz
FUZZ_TARGETS := image model classify frame locate
FUZZ_SECONDS ?= 600
FUZZ_NICE ?=
TEST_FUZZ_SECONDS ?= 15

.PHONY: fuzz fuzz-build test-fuzz soak-native

# stb 2.27 has known integer UB on corrupt JPEGs (fixed in stb 2.28); tests/fuzz/ubsan-ignore.txt.
$(F)/stb_image.o: src/stb_image_impl.c tests/fuzz/ubsan-ignore.txt
	@mkdir -p $(@D)
	$(FUZZ_CC) $(STB_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -fsanitize-ignorelist=tests/fuzz/ubsan-ignore.txt -c $< -o $@

$(F)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(ENGINE_SRC) $(KERNEL_SCALAR) $(HEADERS) $(F)/stb_image.o
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DBC_FUZZ_MODEL='"$(abspath $(TEST_MODEL))"' $< $(ENGINE_SRC) $(KERNEL_SCALAR) $(F)/stb_image.o -lm -o $@

fuzz-build: $(addprefix $(F)/fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	FUZZ_NICE=$(FUZZ_NICE) bash scripts/fuzz/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# A short bounded run of each target from the committed seeds only (about 60 s in all).
test-fuzz: fuzz-build
	rm -rf $(F)/test-corpus
	FUZZ_WORK=$(F)/test-corpus FUZZ_NICE=$(FUZZ_NICE) bash scripts/fuzz/fuzz.sh $(TEST_FUZZ_SECONDS) $(FUZZ_TARGETS)

# Native memory soak: 1,000 images x 10 passes in one process, RSS after each pass (scripts/soak/soak_native.sh).
SOAK_BACKEND ?= own
$(N)/soak_native: tests/soak_native.c $(ENGINE_SRC) $(KERNEL_SCALAR) $(HEADERS) $(N)/stb_image.o
	@mkdir -p $(@D)
	gcc $(NATIVE_CFLAGS) $< $(ENGINE_SRC) $(KERNEL_SCALAR) $(N)/stb_image.o $(NATIVE_LIBS) -o $@

soak-native: $(N)/soak_native
	bash scripts/soak/soak_native.sh --backend $(SOAK_BACKEND)

test-wasm: $(W)/test_kernels_simd.cjs $(WEB_ENGINE) $(VENDOR) $(N)/bloodcell $(N)/test_frame
	node $(W)/test_kernels_simd.cjs 600
	node --test tests/wasm/

test-python: $(N)/test_engine $(N)/test_frame $(N)/libbcpreprocess.so
	$(PY) tests/test_python.py
	$(PY) tests/test_frame_python.py

test-browser: web-assets $(N)/bloodcell
	node --test tests/browser/

bench: $(N)/bloodcell $(WEB_ENGINE)
	bash scripts/bench/bench.sh

ONNX := build/onnx/bloodcell-float.onnx build/onnx/bloodcell-qdq.onnx

$(ONNX) &: $(MODEL) scripts/model/export_onnx.py scripts/model/bcmodel.py
	$(PY) scripts/model/export_onnx.py --model $(MODEL) --out build/onnx

$(W)/peak-web.mjs: scripts/bench/peak_wasm.c
	@mkdir -p $(@D)
	$(EMCC) -std=c99 -O3 -msimd128 $< -sENVIRONMENT=web -sMODULARIZE -sEXPORT_ES6 -sEXPORTED_FUNCTIONS=_bc_peak_dot -o $@

# LiteRT.js's .tflite files and the tfjs racer's graph, from the same model file
RACE := build/race/bloodcell-int8.tflite build/race/bloodcell-f32.tflite build/race/graph.json

$(RACE) &: $(MODEL) scripts/model/export_tflite.mjs scripts/model/graph_json.py scripts/model/bcmodel.py
	node scripts/model/export_tflite.mjs --model $(MODEL) --out build/race

# the 640x480 and 4000x3000 field photos (from a fixture) that bench-locate and bench-web time
FIELD_PHOTOS := build/bench/field-640x480.jpg build/bench/field-4000x3000.jpg
$(FIELD_PHOTOS) &: scripts/bench/bench_locate.py tests/fixtures/fields/pig-389_JPG.jpg
	@mkdir -p build/bench
	$(PY) -c "import sys; sys.path.insert(0, 'scripts/bench'); import bench_locate; bench_locate.make_photos('build/bench')"

bench-web: $(WEB_ENGINE) $(ONNX) $(RACE) $(W)/peak-web.mjs $(FIELD_PHOTOS) web-assets
	node scripts/bench/bench_web.mjs

# The machine code TurboFan makes of the conv kernels (Chromium's --perf-prof jitdump, objdump): the engine
# built with its function names (--profiling-funcs; the same code), then scripts/bench/trace_kernels.mjs.
$(W)/trace/bloodcell.wasm: src/wasm_api.c $(ENGINE_SRC) $(KERNEL_SCALAR) $(KERNEL_SIMD) $(HEADERS) $(W)/stb_image.o
	@mkdir -p $(@D)
	$(EMCC) $(WASM_CFLAGS) src/wasm_api.c $(ENGINE_SRC) $(KERNEL_SCALAR) $(KERNEL_SIMD) $(W)/stb_image.o $(WASM_LDFLAGS) --profiling-funcs -o $(W)/trace/bloodcell.js

.PHONY: trace-kernels
trace-kernels: $(W)/trace/bloodcell.wasm
	node scripts/bench/trace_kernels.mjs $(W)/trace/bloodcell.wasm

measure-web: web-assets
	node scripts/bench/measure_web.mjs

# How the model holds up off its training data: the PBC test split under seeded corruptions (3 severities
# each) and the Tecom set scored over the 8 classes, int8 through the engine and float when a checkpoint
# exists (scripts/bench/robustness.py). Not part of make test (about 10 minutes).
.PHONY: robustness
robustness: $(N)/bloodcell
	$(PY) scripts/bench/robustness.py --record docs/robustness.md

# The whole-field locator: WBC recall and precision on the shared field sets (BCDD, pig-smartphone test split)
# and ms per field through the native CLI and wasm (scripts/bench/bench_locate.py), then the drop-to-field-view
# time of a 640x480 and a 4000x3000 photo in the real page (scripts/bench/field_time_web.mjs). Not in make test.
.PHONY: bench-locate
bench-locate: $(N)/bloodcell web-assets
	$(PY) scripts/bench/bench_locate.py --sets bcdd,pig-test
	node scripts/bench/field_time_web.mjs --runs 3

# The web app's worker pool: images/s with 1, 2 and 4 workers on 1,000 images; and the long browser
# soak (5,000 images, heap and long tasks). Neither is part of make test.
.PHONY: bench-pool soak-browser
bench-pool: web-assets
	node scripts/bench/bench_pool.mjs

soak-browser: web-assets
	node scripts/soak/soak_browser.mjs

clean:
	rm -rf build $(WEB_ENGINE) web/models/bloodcell.bin web/sw.js
	rm -f $(addprefix web/models/,reference-map.json reference-embeddings.bin reference-thumbs.webp model-card.json MODEL_CARD.md)
