// A valid shared library that is not an apiserver-host plugin.
extern "C" int not_a_plugin_answer() { return 42; }
