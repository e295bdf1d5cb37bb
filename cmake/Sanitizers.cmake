# APISERVER_SANITIZE=ON builds everything (host, plugins, tests) with ASan + UBSan.
option(APISERVER_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(APISERVER_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
