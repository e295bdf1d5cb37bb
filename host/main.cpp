// apiserver-host: Options -> Config -> Server -> Run, nothing more.
#include "server/generic_api_server.h"

int main(int argc, char** argv) { return apiserver::server::runMain(argc, argv); }
