#pragma once

#include <string>

/// @file random.h
/// Random identifiers from OpenSSL's generator (cryptographically strong, seeded from the kernel),
/// drawn 4 KiB at a time per thread, so that an identifier costs no system call.

namespace apiserver::tls {

/// randomUuid is a random (version 4) UUID in its canonical text form, as Go's uuid.NewRandom
/// makes kube's object UIDs and audit IDs.
std::string randomUuid();

}  // namespace apiserver::tls
