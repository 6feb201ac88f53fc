# chainflow_library(<folder-name> SOURCES ... DEPS ...)
#
# One library target per component folder (STYLE.md): engine/state becomes
# target engine_state, aliased engine::state. Includes are rooted at the
# repository root, so every target sees "engine/state/store.h" style paths.
set(CHAINFLOW_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

function(chainflow_library name)
  cmake_parse_arguments(ARG "" "ALIAS" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(ARG_SOURCES)
    add_library(${name} STATIC ${ARG_SOURCES})
    target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_compile_options(${name} PRIVATE ${CHAINFLOW_WARNINGS})
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
  endif()
  if(ARG_ALIAS)
    add_library(${ARG_ALIAS} ALIAS ${name})
  endif()
endfunction()

# chainflow_test(<name> SOURCES ... DEPS ... [LABELS ...] [RESOURCE_LOCK <name>]
#                [RUN_SERIAL] [TEST_PREFIX <prefix>] [COST <n>])
# RESOURCE_LOCK keeps the binary's tests from running alongside others that
# hold the same lock (e.g. tests sending transactions from one Anvil account);
# RUN_SERIAL from running alongside any other (e.g. tests that restart the
# shared broker). TEST_PREFIX prepends a lowercase component name to the
# discovered test names, so `ctest -R <prefix>` selects a component's tests.
# COST (ctest's property) orders the first run of a build tree.
function(chainflow_test name)
  cmake_parse_arguments(ARG "RUN_SERIAL" "RESOURCE_LOCK;TEST_PREFIX;COST" "SOURCES;DEPS;LABELS"
                        ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_options(${name} PRIVATE ${CHAINFLOW_WARNINGS})
  target_compile_definitions(${name} PRIVATE
    CHAINFLOW_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CHAINFLOW_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  # A unit test in a folder that tests/CMakeLists.txt picks for the sanitizer
  # step is built by target sanitize_tests, and its folder's tests get the
  # label `sanitize` (ctest -L unit -L sanitize selects them). A directory
  # property: gtest_discover_tests in CMake 3.25 splits a list of labels, and
  # ctest does not pass a directory's labels on to its subdirectories.
  if(CHAINFLOW_TEST_SANITIZE AND "unit" IN_LIST ARG_LABELS)
    add_dependencies(sanitize_tests ${name})
    set_property(DIRECTORY APPEND PROPERTY LABELS sanitize)
  endif()
  # COST: ctest starts costlier tests first when it has no timings of its own
  # yet (a clean clone, as CI's): a test of minutes left to the end of the
  # run, waiting for a lock, runs there alone.
  set(properties "")
  if(ARG_COST)
    list(APPEND properties COST ${ARG_COST})
  endif()
  if(ARG_RUN_SERIAL)
    list(APPEND properties RUN_SERIAL TRUE)
  elseif(ARG_RESOURCE_LOCK)
    list(APPEND properties RESOURCE_LOCK ${ARG_RESOURCE_LOCK})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX "${ARG_TEST_PREFIX}"
    PROPERTIES LABELS "${ARG_LABELS}" ${properties})
endfunction()
