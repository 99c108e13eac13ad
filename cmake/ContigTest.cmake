# contig_add_check_test(NAME SOURCES src... [LIBS lib...] [LABELS l...])
#
# Builds a Check suite (its main comes from tests/unit/check_main.c and
# calls the suite's NAME_suite()) and registers it with ctest. The suite
# prints TAP on stdout.
function(contig_add_check_test name)
  cmake_parse_arguments(PARSE_ARGV 1 T "" "" "SOURCES;LIBS;LABELS")
  add_executable(${name} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/tests/unit/check_main.c)
  target_compile_definitions(${name} PRIVATE CHECK_SUITE_FN=${name}_suite)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CHECK)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;${T_LABELS}"
    ENVIRONMENT "CK_FORK=yes")
endfunction()
