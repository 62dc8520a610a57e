# Finds what each layer needs. Every optional piece can be switched off so that
# the core, the network and its kernels build on a machine that has only CUDA.
include(CheckLanguage)

set(STRATA_HAVE_CUDA OFF)
if(STRATA_CUDA STREQUAL "ON" OR STRATA_CUDA STREQUAL "AUTO")
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # sm_90 machine code plus compute_90 PTX, so newer GPUs JIT it.
      set(CMAKE_CUDA_ARCHITECTURES 90)
    endif()
    enable_language(CUDA)
    # CMake 3.25 predates nvcc 13 and does not know its C++20 flag; tell it.
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
      list(APPEND CMAKE_CUDA_COMPILE_FEATURES cuda_std_20)
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(STRATA_HAVE_CUDA ON)
  elseif(STRATA_CUDA STREQUAL "ON")
    message(FATAL_ERROR "STRATA_CUDA=ON but no CUDA compiler was found (set CUDACXX or CMAKE_CUDA_COMPILER)")
  endif()
elseif(NOT STRATA_CUDA STREQUAL "OFF")
  message(FATAL_ERROR "STRATA_CUDA must be AUTO, ON or OFF, not '${STRATA_CUDA}'")
endif()

# The host CUDA emulator (kernels/emulator/) runs a CUDA thread as a Boost.Context fiber.
set(STRATA_HAVE_CUDA_EMULATOR OFF)
if(STRATA_CUDA_EMULATOR STREQUAL "ON" OR STRATA_CUDA_EMULATOR STREQUAL "AUTO")
  find_package(Boost 1.74 CONFIG QUIET COMPONENTS context)
  if(TARGET Boost::context)
    set(STRATA_HAVE_CUDA_EMULATOR ON)
  elseif(STRATA_CUDA_EMULATOR STREQUAL "ON")
    message(FATAL_ERROR "STRATA_CUDA_EMULATOR=ON but Boost.Context was not found (apt-get install libboost-context-dev)")
  endif()
elseif(NOT STRATA_CUDA_EMULATOR STREQUAL "OFF")
  message(FATAL_ERROR "STRATA_CUDA_EMULATOR must be AUTO, ON or OFF, not '${STRATA_CUDA_EMULATOR}'")
endif()

set(STRATA_HAVE_CUDNN OFF)
set(STRATA_HAVE_NCCL OFF)
if(STRATA_HAVE_CUDA)
  find_library(STRATA_CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR})
  find_path(STRATA_CUDNN_INCLUDE cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  if(STRATA_CUDNN_LIBRARY AND STRATA_CUDNN_INCLUDE)
    set(STRATA_HAVE_CUDNN ON)
  endif()
  find_library(STRATA_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
  find_path(STRATA_NCCL_INCLUDE nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  # The NCCL id travels over MPI (src/dist/device_allreduce.cpp): NCCL is used only with MPI.
  if(STRATA_NCCL_LIBRARY AND STRATA_NCCL_INCLUDE AND STRATA_WITH_MPI)
    set(STRATA_HAVE_NCCL ON)
  endif()
endif()

if(STRATA_WITH_OPENBLAS)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
endif()

if(STRATA_WITH_GDAL)
  find_package(GDAL CONFIG REQUIRED)
endif()

if(STRATA_WITH_MPI)
  find_package(MPI REQUIRED COMPONENTS C)
  # We use MPI's C API from C++; the deprecated C++ bindings would need libmpi_cxx.
  target_compile_definitions(MPI::MPI_C INTERFACE OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
endif()

if(STRATA_WITH_HDF5)
  # Debian installs serial and OpenMPI HDF5 side by side and CMake picks serial unless told.
  set(HDF5_PREFER_PARALLEL ${STRATA_WITH_MPI})
  find_package(HDF5 REQUIRED COMPONENTS C)
  if(STRATA_WITH_MPI AND NOT HDF5_IS_PARALLEL)
    message(FATAL_ERROR "strata needs the parallel (MPI) HDF5 but found ${HDF5_INCLUDE_DIRS}; "
                        "install libhdf5-openmpi-dev and configure a fresh build directory "
                        "(HDF5_C_COMPILER_EXECUTABLE is cached)")
  endif()
endif()

find_package(nlohmann_json 3 QUIET)

# Snappy (Debian libsnappy-dev) for strata import-model: TensorFlow's variables.index blocks are
# Snappy-compressed. Its CMake package where installed, else the bare library.
set(STRATA_HAVE_SNAPPY OFF)
find_package(Snappy CONFIG QUIET)
if(TARGET Snappy::snappy)
  set(STRATA_SNAPPY_TARGET Snappy::snappy)
  set(STRATA_HAVE_SNAPPY ON)
else()
  find_library(STRATA_SNAPPY_LIBRARY snappy)
  find_path(STRATA_SNAPPY_INCLUDE snappy.h)
  if(STRATA_SNAPPY_LIBRARY AND STRATA_SNAPPY_INCLUDE)
    add_library(strata_snappy INTERFACE IMPORTED)
    target_link_libraries(strata_snappy INTERFACE ${STRATA_SNAPPY_LIBRARY})
    target_include_directories(strata_snappy INTERFACE ${STRATA_SNAPPY_INCLUDE})
    set(STRATA_SNAPPY_TARGET strata_snappy)
    set(STRATA_HAVE_SNAPPY ON)
  endif()
endif()
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(TOMLPP QUIET IMPORTED_TARGET tomlplusplus)
endif()
