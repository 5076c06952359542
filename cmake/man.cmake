# man pages: sessiond(8) and sessionctl(1) by help2man from the programs' own --help (so every
# flag and command is in them by construction; docs/man/*.h2m add the prose sections), and
# sessiond.conf(5) and sessioncore-table(5) by scdoc from docs/man/*.scd (hand-written pages
# with no program to ask). Built with the programs when both tools are there (scripts/deps.sh
# build installs them); otherwise the `man` target fails with what is missing.
find_program(SC_HELP2MAN help2man)
find_program(SC_SCDOC scdoc)
set(SC_MAN_OUT ${CMAKE_BINARY_DIR}/man)
set(SC_MAN_SRC ${CMAKE_SOURCE_DIR}/docs/man)
if(SC_HELP2MAN AND SC_SCDOC)
  add_custom_command(OUTPUT ${SC_MAN_OUT}/sessiond.8
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SC_MAN_OUT}
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0 ${SC_HELP2MAN} --no-info --section=8 --include=${SC_MAN_SRC}/sessiond.h2m
      --output=${SC_MAN_OUT}/sessiond.8 $<TARGET_FILE:sessiond>
    DEPENDS sessiond ${SC_MAN_SRC}/sessiond.h2m
    COMMENT "help2man: sessiond(8)")
  add_custom_command(OUTPUT ${SC_MAN_OUT}/sessionctl.1
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SC_MAN_OUT}
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0 ${SC_HELP2MAN} --no-info --section=1 --help-option=--help-all --include=${SC_MAN_SRC}/sessionctl.h2m
      --output=${SC_MAN_OUT}/sessionctl.1 $<TARGET_FILE:sessionctl>
    DEPENDS sessionctl ${SC_MAN_SRC}/sessionctl.h2m
    COMMENT "help2man: sessionctl(1)")
  set(SC_MAN_PAGES ${SC_MAN_OUT}/sessiond.8 ${SC_MAN_OUT}/sessionctl.1)
  foreach(page sessiond.conf.5 sessioncore-table.5)
    add_custom_command(OUTPUT ${SC_MAN_OUT}/${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${SC_MAN_OUT}
      COMMAND ${SC_SCDOC} < ${SC_MAN_SRC}/${page}.scd > ${SC_MAN_OUT}/${page}
      DEPENDS ${SC_MAN_SRC}/${page}.scd
      COMMENT "scdoc: ${page}")
    list(APPEND SC_MAN_PAGES ${SC_MAN_OUT}/${page})
  endforeach()
  add_custom_target(man ALL DEPENDS ${SC_MAN_PAGES})
  install(FILES ${SC_MAN_OUT}/sessiond.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
  install(FILES ${SC_MAN_OUT}/sessionctl.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${SC_MAN_OUT}/sessiond.conf.5 ${SC_MAN_OUT}/sessioncore-table.5
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
else()
  message(STATUS "help2man or scdoc not found: no man pages (scripts/deps.sh build installs them)")
  add_custom_target(man
    COMMAND ${CMAKE_COMMAND} -E echo "man pages need help2man and scdoc: run scripts/deps.sh build"
    COMMAND ${CMAKE_COMMAND} -E false)
endif()
# bash completion of sessionctl
install(FILES ${CMAKE_SOURCE_DIR}/tools/sessionctl/sessionctl.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME sessionctl)
