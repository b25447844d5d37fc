# Sanitizer builds (scripts/sanitize.sh) compile at -O0, except the layers the sanitized suite spends its
# time in: text interpretation, i.e. core's JSON parser and the tokenizers with Jinja (docs/testing.md).
#
# An -O1 layer is only fast if the linker keeps its code. Inline and template functions
# (std::vector<char>::emplace_back, nlohmann's lexer) are compiled into every object that uses them, and the
# linker keeps the first copy it meets: the executable's own objects, at -O0, come before every library.
# Under ASan a tiny-bert load then spends most of its 1.5 s in unoptimized copies of std:: and json code.
# So every executable that links an optimized layer gets that layer's objects first on its link line
# (--whole-archive before the objects): FaultInjection's load sweep went from 69 s to 30 s this way.
set(TRANSFORMERS_SANITIZER_OPTIMIZED_LAYERS transformers_core transformers_tokenizers)

function(transformers_sanitizer_optimize_layers)
  if(NOT TRANSFORMERS_SANITIZE OR NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    return()  # a sanitized Release build keeps its own level everywhere
  endif()
  foreach(layer ${TRANSFORMERS_SANITIZER_OPTIMIZED_LAYERS})
    target_compile_options(${layer} PRIVATE -O1)
  endforeach()
  _transformers_executables("${CMAKE_SOURCE_DIR}" executables)
  foreach(exe ${executables})
    _transformers_link_closure(${exe} closure)
    foreach(layer ${TRANSFORMERS_SANITIZER_OPTIMIZED_LAYERS})
      if(layer IN_LIST closure)
        target_link_options(${exe} BEFORE PRIVATE
                            "SHELL:-Wl,--whole-archive $<TARGET_FILE:${layer}> -Wl,--no-whole-archive")
      endif()
    endforeach()
  endforeach()
endfunction()

# Every executable target defined in `dir` and below.
function(_transformers_executables dir out)
  set(found "")
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "EXECUTABLE")
      list(APPEND found ${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    _transformers_executables("${sub}" sub_found)
    list(APPEND found ${sub_found})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# Every target `target` links, directly or through other targets' interfaces (aliases resolved).
function(_transformers_link_closure target out)
  set(seen "")
  set(pending ${target})
  while(TRUE)  # not while(pending): a list whose last item ends in -NOTFOUND reads as false
    list(LENGTH pending n)
    if(n EQUAL 0)
      break()
    endif()
    list(POP_FRONT pending t)
    if(NOT TARGET ${t} OR t IN_LIST seen)
      continue()
    endif()
    get_target_property(aliased ${t} ALIASED_TARGET)
    if(aliased)
      list(APPEND pending ${aliased})
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(type ${t} TYPE)
    set(props INTERFACE_LINK_LIBRARIES)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      list(APPEND props LINK_LIBRARIES)
    endif()
    foreach(p ${props})
      get_target_property(libs ${t} ${p})  # libs-NOTFOUND when unset: not a target, skipped above
      foreach(lib ${libs})
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")  # how PRIVATE deps of a static lib appear
        list(APPEND pending "${lib}")
      endforeach()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()
