# libtorch from PyPI's torch wheel (pinned in requirements.txt, installed into .venv by setup.sh):
# the same libtorch the GPU nodes run, so one build runs on CPU here and on CUDA there.
#
# Why not find_package(Torch): the wheel's TorchConfig.cmake is built with USE_CUDA=ON and
# calls enable_language(CUDA) + find_package(CUDAToolkit REQUIRED), so configuring fails on a
# machine without nvcc even though we compile no .cu file. We import the same shared libraries
# it would (torch, torch_cpu, c10, and torch_cuda + c10_cuda when the wheel has them) as one
# target. torch_cuda is linked with --no-as-needed: it registers the CUDA kernels and hooks from
# static initialisers, so without it torch::cuda::is_available() is false even on a GPU node.
# The CUDA runtime and NCCL headers (for c10/cuda and ProcessGroupNCCL) come with the wheel's
# nvidia-* dependencies; the CUDA driver is loaded lazily, so CPU machines run the same binary.
#
# Result: target skytrain::torch, variables SKYTRAIN_TORCH_VERSION and SKYTRAIN_TORCH_LIB_DIR.
set(SKYTRAIN_PYTHON "" CACHE FILEPATH "Python whose torch package provides libtorch (default: .venv/bin/python3, then python3)")
if(NOT SKYTRAIN_PYTHON)
  if(EXISTS "${PROJECT_SOURCE_DIR}/.venv/bin/python3")
    set(SKYTRAIN_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python3")
  else()
    find_program(SKYTRAIN_PYTHON python3 REQUIRED)
  endif()
endif()

execute_process(
  COMMAND "${SKYTRAIN_PYTHON}" -c
    "import os, torch; d = os.path.dirname(torch.__file__); print(d); print(torch.__version__.split('+')[0]); print(int(torch.compiled_with_cxx11_abi())); print(os.path.dirname(d))"
  OUTPUT_VARIABLE _torch_out ERROR_VARIABLE _torch_err RESULT_VARIABLE _torch_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _torch_rc EQUAL 0)
  message(FATAL_ERROR "${SKYTRAIN_PYTHON} cannot import torch (run ./setup.sh, which installs the pinned torch into .venv):\n${_torch_err}")
endif()
string(REPLACE "\n" ";" _torch_out "${_torch_out}")
list(GET _torch_out 0 _torch_dir)
list(GET _torch_out 1 SKYTRAIN_TORCH_VERSION)
list(GET _torch_out 2 _torch_abi)
list(GET _torch_out 3 _site_packages)
if(SKYTRAIN_TORCH_VERSION VERSION_LESS 2.0)
  message(FATAL_ERROR "torch ${SKYTRAIN_TORCH_VERSION} at ${_torch_dir}: skytrain needs libtorch 2.x")
endif()
set(SKYTRAIN_TORCH_LIB_DIR "${_torch_dir}/lib")

# The wheel's include/ also carries its own fmt (12.x) headers, while everything we build links
# Debian's libfmt (9.x). A directory that holds only a link to our fmt goes first, so every
# translation unit, torch's headers included, sees one fmt.
get_target_property(_fmt_includes fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
set(_fmt_dir "")
foreach(_d ${_fmt_includes} /usr/include)
  if(NOT _fmt_dir AND EXISTS "${_d}/fmt/format.h")
    set(_fmt_dir "${_d}/fmt")
  endif()
endforeach()
if(NOT _fmt_dir)
  message(FATAL_ERROR "cannot find the fmt headers that fmt::fmt links against")
endif()
set(_fmt_shim "${CMAKE_BINARY_DIR}/torch-fmt-shim")
file(MAKE_DIRECTORY "${_fmt_shim}")
file(CREATE_LINK "${_fmt_dir}" "${_fmt_shim}/fmt" SYMBOLIC)
set(_torch_includes "${_fmt_shim}" "${_torch_dir}/include" "${_torch_dir}/include/torch/csrc/api/include")
foreach(_inc nvidia/cu13/include nvidia/cuda_runtime/include nvidia/nccl/include)
  if(EXISTS "${_site_packages}/${_inc}")
    list(APPEND _torch_includes "${_site_packages}/${_inc}")
  endif()
endforeach()

# libtorch.so exports 64 unversioned std::filesystem symbols (built with a newer GCC whose
# libstdc++ parts it carries). Whichever library comes first in an executable's DT_NEEDED list
# serves our calls, and libtorch's remove_all crashes with a null call here; so libstdc++ is
# named before every torch library.
set(_torch_libs "-Wl,--push-state,--no-as-needed" stdc++ "-Wl,--pop-state")
if(EXISTS "${SKYTRAIN_TORCH_LIB_DIR}/libtorch_cuda.so")
  set(SKYTRAIN_TORCH_HAS_CUDA ON)
  list(APPEND _torch_libs "-Wl,--no-as-needed" "${SKYTRAIN_TORCH_LIB_DIR}/libtorch_cuda.so"
       "${SKYTRAIN_TORCH_LIB_DIR}/libc10_cuda.so" "-Wl,--as-needed")
else()
  set(SKYTRAIN_TORCH_HAS_CUDA OFF)
endif()
foreach(_l torch torch_cpu c10)
  if(NOT EXISTS "${SKYTRAIN_TORCH_LIB_DIR}/lib${_l}.so")
    message(FATAL_ERROR "torch at ${_torch_dir} has no lib${_l}.so: is it a wheel without libtorch?")
  endif()
  list(APPEND _torch_libs "${SKYTRAIN_TORCH_LIB_DIR}/lib${_l}.so")
endforeach()

add_library(skytrain::torch INTERFACE IMPORTED GLOBAL)
set_target_properties(skytrain::torch PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_torch_includes}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_torch_includes}"
  INTERFACE_COMPILE_DEFINITIONS "_GLIBCXX_USE_CXX11_ABI=${_torch_abi};USE_C10D_GLOO"
  INTERFACE_LINK_LIBRARIES "${_torch_libs};Threads::Threads")
# Executables find the wheel's libraries (and, through their RPATH, the nvidia-* ones) at run
# time without LD_LIBRARY_PATH, in the build tree and once installed.
set(CMAKE_BUILD_RPATH "${CMAKE_BUILD_RPATH};${SKYTRAIN_TORCH_LIB_DIR}")
set(CMAKE_INSTALL_RPATH "${CMAKE_INSTALL_RPATH};${SKYTRAIN_TORCH_LIB_DIR}")
message(STATUS "libtorch ${SKYTRAIN_TORCH_VERSION} from ${_torch_dir} (CUDA kernels: ${SKYTRAIN_TORCH_HAS_CUDA})")
