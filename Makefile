# domicile: the two commands.
#   make run    install what is missing, build, start a node with examples/texas
#   make test   install what is missing, build, run every test under ctest
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all bootstrap bootstrap-test configure build run serve test bench clean

all: build

bootstrap:
	@scripts/bootstrap

bootstrap-test:
	@scripts/bootstrap --test

configure:
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > /dev/null

build: bootstrap configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/run-example $(BUILD_DIR)/src/cmd/domicile

test: bootstrap-test configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	@scripts/bench $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
