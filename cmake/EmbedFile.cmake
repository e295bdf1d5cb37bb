# apiserver_embed_file(<input> <output.cpp> <symbol>): writes a .cpp that defines
#   extern const std::string_view <symbol>;
# holding the input file's bytes, re-generated whenever the input changes.
function(apiserver_embed_file input output symbol)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFileScript.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/EmbedFileScript.cmake
    COMMENT "Embedding ${input}")
endfunction()
