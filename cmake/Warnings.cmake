# apiserver_set_warnings(<target>): the project's warning policy, errors included.
function(apiserver_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()
