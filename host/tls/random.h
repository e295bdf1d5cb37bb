#pragma once

#include <string>

/// @file random.h
/// Random identifiers from OpenSSL's per-thread generator (cryptographically strong, seeded from
/// the kernel once, with no system call per identifier).

namespace apiserver::tls {

/// randomUuid is a random (version 4) UUID in its canonical text form, as Go's uuid.NewRandom
/// makes kube's object UIDs and audit IDs.
std::string randomUuid();

}  // namespace apiserver::tls
