# Writes OUTPUT, a .cpp defining `extern const std::string_view SYMBOL` with INPUT's text, as a
# raw string literal (compiles fast even for large files).
file(READ ${INPUT} content)
set(delim "apiserver_embed")
string(FIND "${content}" ")${delim}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )${delim}\"")
endif()
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\n#include <string_view>\nextern const std::string_view ${SYMBOL};\nconst std::string_view ${SYMBOL} = R\"${delim}(")
file(APPEND ${OUTPUT} "${content}")
file(APPEND ${OUTPUT} ")${delim}\";\n")
