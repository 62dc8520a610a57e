# The git revision is baked in at configure time; `strata info` prints it.
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  OUTPUT_VARIABLE STRATA_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET RESULT_VARIABLE _strata_git_rc)
if(NOT _strata_git_rc EQUAL 0 OR STRATA_GIT_REVISION STREQUAL "")
  set(STRATA_GIT_REVISION "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  OUTPUT_VARIABLE _strata_git_dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT _strata_git_dirty STREQUAL "")
  string(APPEND STRATA_GIT_REVISION "-dirty")
endif()
