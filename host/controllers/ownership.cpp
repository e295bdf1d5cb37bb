#include "controllers/ownership.h"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>

namespace apiserver::controllers {

namespace {

using ErrorCode = boost::system::error_code;
using Piece = boost::json::string_view;

/// OwnershipScanner is a boost::json SAX handler that keeps only Ownership. Depth counts the open
/// containers: the top-level object is 1, metadata 2, its arrays 3, their objects 4.
class OwnershipScanner {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  Ownership out;
  bool done = false;  ///< metadata ended: the scan stopped on purpose
  bool topObject = false;

  bool on_document_begin(ErrorCode&) { return true; }
  bool on_document_end(ErrorCode&) { return true; }

  bool on_object_begin(ErrorCode&) {
    ++depth_;
    if (depth_ == 1) {
      topObject = true;
    } else if (depth_ == 2 && metadataNext_) {
      inMetadata_ = true;
    } else if (depth_ == 3) {
      listAt3_ = false;
    } else if (depth_ == 4 && listAt3_ && inMetadata_ && meta_ == Meta::OwnerReferences) {
      out.ownerReferences.emplace_back();
      inReference_ = true;
      ref_ = Ref::Other;
    }
    return true;
  }
  bool on_object_end(std::size_t, ErrorCode&) {
    if (depth_ == 2 && inMetadata_) {
      done = true;
      return false;  // nothing after metadata is needed: stop here
    }
    if (depth_ == 4)
      inReference_ = false;
    --depth_;
    return true;
  }
  bool on_array_begin(ErrorCode&) {
    ++depth_;
    if (depth_ == 3)
      listAt3_ = true;
    return depth_ > 1;  // a top level that is an array is not an object
  }
  bool on_array_end(std::size_t, ErrorCode&) {
    --depth_;
    return true;
  }

  bool on_key_part(Piece s, std::size_t, ErrorCode&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(Piece s, std::size_t, ErrorCode&) {
    key_.append(s.data(), s.size());
    if (depth_ == 1) {
      metadataNext_ = key_ == "metadata";
    } else if (depth_ == 2 && inMetadata_) {
      meta_ = metaSlot(key_);
      if (meta_ == Meta::Finalizers)
        out.finalizers.clear();  // a repeated member: the last wins
      if (meta_ == Meta::OwnerReferences)
        out.ownerReferences.clear();
      if (key_ == "deletionTimestamp")
        out.deleting = true;
    } else if (depth_ == 4 && inReference_) {
      ref_ = refSlot(key_);
    }
    key_.clear();
    return true;
  }

  bool on_string_part(Piece s, std::size_t, ErrorCode&) {
    if (finalizer() || target() != nullptr)
      string_.append(s.data(), s.size());
    return true;
  }
  bool on_string(Piece s, std::size_t, ErrorCode&) {
    std::string* t = finalizer() ? &out.finalizers.emplace_back() : target();
    if (t == nullptr)
      return scalar();
    string_.append(s.data(), s.size());
    *t = std::move(string_);
    string_.clear();
    return true;
  }
  bool on_bool(bool b, ErrorCode&) {
    if (depth_ == 4 && inReference_ && ref_ == Ref::BlockOwnerDeletion)
      out.ownerReferences.back().blockOwnerDeletion = b;
    return scalar();
  }
  bool on_number_part(Piece, ErrorCode&) { return true; }
  bool on_int64(std::int64_t, Piece, ErrorCode&) { return scalar(); }
  bool on_uint64(std::uint64_t, Piece, ErrorCode&) { return scalar(); }
  bool on_double(double, Piece, ErrorCode&) { return scalar(); }
  bool on_null(ErrorCode&) { return scalar(); }
  bool on_comment_part(Piece, ErrorCode&) { return true; }
  bool on_comment(Piece, ErrorCode&) { return true; }

 private:
  enum class Meta : std::uint8_t { Other, Uid, Name, Namespace, Finalizers, OwnerReferences };
  enum class Ref : std::uint8_t { Other, Uid, ApiVersion, Kind, Name, BlockOwnerDeletion };

  static Meta metaSlot(std::string_view k) {
    if (k == "uid")
      return Meta::Uid;
    if (k == "name")
      return Meta::Name;
    if (k == "namespace")
      return Meta::Namespace;
    if (k == "finalizers")
      return Meta::Finalizers;
    if (k == "ownerReferences")
      return Meta::OwnerReferences;
    return Meta::Other;
  }
  static Ref refSlot(std::string_view k) {
    if (k == "uid")
      return Ref::Uid;
    if (k == "apiVersion")
      return Ref::ApiVersion;
    if (k == "kind")
      return Ref::Kind;
    if (k == "name")
      return Ref::Name;
    if (k == "blockOwnerDeletion")
      return Ref::BlockOwnerDeletion;
    return Ref::Other;
  }

  /// scalar refuses a top level that is not an object.
  bool scalar() const { return depth_ > 0; }

  /// finalizer tells whether the string being read is an entry of metadata.finalizers.
  bool finalizer() const {
    return inMetadata_ && depth_ == 3 && listAt3_ && meta_ == Meta::Finalizers;
  }
  /// target is where the string being read goes (finalizers aside), or nullptr when it is not
  /// kept.
  std::string* target() {
    if (!inMetadata_)
      return nullptr;
    if (depth_ == 2) {
      switch (meta_) {
        case Meta::Uid:
          return &out.uid;
        case Meta::Name:
          return &out.name;
        case Meta::Namespace:
          return &out.namespace_;
        default:
          return nullptr;
      }
    }
    if (depth_ == 4 && inReference_) {
      OwnerReference& r = out.ownerReferences.back();
      switch (ref_) {
        case Ref::Uid:
          return &r.uid;
        case Ref::ApiVersion:
          return &r.apiVersion;
        case Ref::Kind:
          return &r.kind;
        case Ref::Name:
          return &r.name;
        default:
          return nullptr;
      }
    }
    return nullptr;
  }

  int depth_ = 0;
  bool metadataNext_ = false;  ///< the last top-level key was "metadata"
  bool inMetadata_ = false;
  bool inReference_ = false;
  bool listAt3_ = false;  ///< the open container at depth 3 is an array
  Meta meta_ = Meta::Other;
  Ref ref_ = Ref::Other;
  std::string key_;
  std::string string_;
};

}  // namespace

std::optional<Ownership> scanOwnership(std::string_view json) {
  boost::json::basic_parser<OwnershipScanner> p{boost::json::parse_options{}};
  ErrorCode ec;
  p.write_some(false, json.data(), json.size(), ec);
  OwnershipScanner& h = p.handler();
  if (h.done)
    return std::move(h.out);
  if (ec || !h.topObject)
    return std::nullopt;
  return std::move(h.out);  // an object without metadata
}

}  // namespace apiserver::controllers
