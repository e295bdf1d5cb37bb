# add_apiserver_plugin(<name> SOURCES ... [LIBRARIES ...] [OUTPUT_DIRECTORY dir])
#
# Builds build/plugins/<name>.so: a module library that sees only plugin-api headers,
# hides every symbol but the exported descriptor (-fvisibility=hidden), and has no "lib" prefix
# so that the YAML name and the file name agree.
function(add_apiserver_plugin name)
  cmake_parse_arguments(PLUGIN "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT PLUGIN_OUTPUT_DIRECTORY)
    set(PLUGIN_OUTPUT_DIRECTORY ${APISERVER_PLUGIN_OUTPUT_DIRECTORY})
  endif()
  set(target apiserver-plugin-${name})
  add_library(${target} MODULE ${PLUGIN_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${name}
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${PLUGIN_OUTPUT_DIRECTORY})
  target_link_libraries(${target} PRIVATE apiserver::plugin-api ${PLUGIN_LIBRARIES})
  # A plugin must not depend on symbols of the host executable: fail at link time instead of at load.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  apiserver_set_warnings(${target})
endfunction()
