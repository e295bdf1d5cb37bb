#pragma once

#include <apiserver/registry.h>

#include <memory>

/// @file access_reviews.h
/// authorization.k8s.io/v1 access reviews (kube's pkg/registry/authorization): create-only,
/// never stored; the answer is the server's authorizer's decision (or, for
/// SelfSubjectRulesReview, its rules). `kubectl auth can-i` creates SelfSubjectAccessReviews,
/// `kubectl auth can-i --list` SelfSubjectRulesReviews.

namespace apiserver::plugins::rbac {

/// registerAccessReviews adds SubjectAccessReview, SelfSubjectAccessReview,
/// LocalSubjectAccessReview and SelfSubjectRulesReview as virtual resources answered by
/// `authorizer`, and authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`: the
/// request's user as the server sees it).
Result<void> registerAccessReviews(Registrar& registrar, std::shared_ptr<const Authorizer> authorizer);

/// The creaters, exposed for tests.
std::shared_ptr<const Creater> subjectAccessReviews(std::shared_ptr<const Authorizer> authorizer);
std::shared_ptr<const Creater> selfSubjectAccessReviews(std::shared_ptr<const Authorizer> authorizer);
std::shared_ptr<const Creater> localSubjectAccessReviews(std::shared_ptr<const Authorizer> authorizer);
std::shared_ptr<const Creater> selfSubjectRulesReviews(std::shared_ptr<const Authorizer> authorizer);
std::shared_ptr<const Creater> selfSubjectReviews();

}  // namespace apiserver::plugins::rbac
