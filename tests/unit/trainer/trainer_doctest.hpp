// Include this first in trainer tests: libtorch pulls in glog, whose CHECK/CHECK_EQ/... macros
// collide with doctest's. Load torch (and glog) first, drop glog's macros, then doctest.
#pragma once
#include <torch/torch.h>
#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LE
#undef CHECK_LT
#undef CHECK_GE
#undef CHECK_GT
#include <doctest/doctest.h>
