// apiserver-host: Options -> Config -> Server -> Run, nothing more.
#include "allocator.h"
#include "server/generic_api_server.h"

int main(int argc, char** argv) {
  apiserver::host::tuneAllocator();
  return apiserver::server::runMain(argc, argv);
}
