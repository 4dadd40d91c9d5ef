#!/usr/bin/env bash
# Random faults under load, at the suite's size: tests/fs_write/fault_load.sh (10% seeded random
# faults of every kind through bench/s3_proxy.py, a big write+fsync, a cold read, a cp -r of 600
# small files and random_ops at once) with 64 MiB objects and 800 random operations. The full
# size (1 GiB, 5,000 operations) is that script run without these variables.
export FAULT_LOAD_MIB=${FAULT_LOAD_MIB:-64}
export FAULT_LOAD_FILES=${FAULT_LOAD_FILES:-600}
export FAULT_LOAD_OPS=${FAULT_LOAD_OPS:-800}
export FAULT_LOAD_MAX_SIZE=${FAULT_LOAD_MAX_SIZE:-$((6 << 20))}
exec bash "$SKYTRAIN_SRC/tests/fs_write/fault_load.sh"
