#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

/// @file json_writer.h
/// The JSON text of a Boost.JSON value, byte for byte what boost::json::serialize writes, in
/// about half its instructions: one recursive walk writing through a raw cursor, where Boost's
/// serializer is a resumable state machine that can stop at any byte (which this never needs).
/// Stored objects are encoded with it once per revision (docs/performance.md).

namespace apiserver::codec {

/// appendJson appends the JSON text of `v` to `out`.
void appendJson(std::string& out, const boost::json::value& v);
void appendJson(std::string& out, const boost::json::object& o);

/// appendJsonString appends `s` as a JSON string (quoted and escaped).
void appendJsonString(std::string& out, std::string_view s);

/// toJson is the JSON text of `o` (boost::json::serialize's bytes), in a string whose capacity
/// is about its size: made to be kept. `expect` is the room taken first: a text that fits in it,
/// not much smaller, is written without growing or shrinking the string.
std::string toJson(const boost::json::object& o, std::size_t expect = 1024);

}  // namespace apiserver::codec
