# Finds ONNX Runtime (an official release layout: include/ + lib/) and defines OnnxRuntime::OnnxRuntime.
# Set ONNXRUNTIME_ROOT to the release folder; scripts/setup.sh provides one in third_party/onnxruntime.
find_path(ONNXRUNTIME_INCLUDE_DIR onnxruntime_c_api.h
  HINTS ${ONNXRUNTIME_ROOT} ENV ONNXRUNTIME_ROOT
  PATH_SUFFIXES include include/onnxruntime include/onnxruntime/core/session)
find_library(ONNXRUNTIME_LIBRARY NAMES onnxruntime
  HINTS ${ONNXRUNTIME_ROOT} ENV ONNXRUNTIME_ROOT
  PATH_SUFFIXES lib lib64)

if(ONNXRUNTIME_INCLUDE_DIR AND EXISTS "${ONNXRUNTIME_INCLUDE_DIR}/onnxruntime_c_api.h")
  file(STRINGS "${ONNXRUNTIME_INCLUDE_DIR}/onnxruntime_c_api.h" _ort_api_line REGEX "^#define ORT_API_VERSION [0-9]+")
  string(REGEX REPLACE "^#define ORT_API_VERSION ([0-9]+).*" "\\1" OnnxRuntime_API_VERSION "${_ort_api_line}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OnnxRuntime
  REQUIRED_VARS ONNXRUNTIME_LIBRARY ONNXRUNTIME_INCLUDE_DIR
  VERSION_VAR OnnxRuntime_API_VERSION
  REASON_FAILURE_MESSAGE "Run scripts/setup.sh, or pass -DONNXRUNTIME_ROOT=/path/to/onnxruntime-linux-x64-<version>")

if(OnnxRuntime_FOUND AND NOT TARGET OnnxRuntime::OnnxRuntime)
  if(OnnxRuntime_API_VERSION LESS 17)
    message(FATAL_ERROR "ONNX Runtime API version ${OnnxRuntime_API_VERSION} is too old (need 17 or newer)")
  endif()
  add_library(OnnxRuntime::OnnxRuntime SHARED IMPORTED)
  set_target_properties(OnnxRuntime::OnnxRuntime PROPERTIES
    IMPORTED_LOCATION "${ONNXRUNTIME_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ONNXRUNTIME_INCLUDE_DIR}")
  get_filename_component(ONNXRUNTIME_LIBRARY_DIR "${ONNXRUNTIME_LIBRARY}" DIRECTORY)
  message(STATUS "ONNX Runtime: ${ONNXRUNTIME_LIBRARY} (API ${OnnxRuntime_API_VERSION})")
endif()
