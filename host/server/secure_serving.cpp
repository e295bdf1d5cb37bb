#include "server/secure_serving.h"

#include "audit/auditor.h"
#include "authentication/authenticators.h"
#include "tls/cert_pool.h"
#include "tls/pki.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

namespace apiserver::server {

namespace fs = std::filesystem;

struct SecureServing::State {
  config::Config cfg;
  Logger* log = nullptr;
  tls::Pki pki;                 ///< the host's CA and generated certificates (secure port on)
  std::string servingChainPem;  ///< the serving certificate chain (the operator's or generated)
  authentication::AuthenticationOptions authn;
  std::shared_ptr<audit::Auditor> auditor;
};

namespace {

bool isIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool isWildcard(const std::string& address) { return address.empty() || address == "0.0.0.0" || address == "::"; }

void addOnce(std::vector<std::string>& v, const std::string& s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

ApiError invalid(const std::string& key, const std::string& message) {
  return configFailure({ConfigError{"", key, message}});
}

// tlsServing loads or generates the certificates and builds the HTTPS listener's options.
Result<std::shared_ptr<const TlsServingOptions>> tlsServing(SecureServing::State& st) {
  const auto& serving = st.cfg.serving;
  const auto& authn = st.cfg.authentication;
  Logger& log = *st.log;

  tls::PkiOptions po;
  po.certDir = serving.certDir;
  po.generateServing = serving.tlsCertFile.empty();
  po.dnsNames = {"localhost"};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && std::string(host) != "localhost") addOnce(po.dnsNames, host);
  po.ipAddresses = {"127.0.0.1", "::1"};
  if (!isWildcard(serving.bindAddress) && isIp(serving.bindAddress)) addOnce(po.ipAddresses, serving.bindAddress);
  for (const auto& san : serving.tlsSANs) addOnce(isIp(san) ? po.ipAddresses : po.dnsNames, san);
  auto pki = tls::ensurePki(po);
  if (!pki) return fail(invalid("serving.certDir", serving.certDir.string() + ": " + pki.error().message));
  st.pki = std::move(*pki);
  for (const auto& f : st.pki.generated) log.info("generated " + f);

  auto opts = std::make_shared<TlsServingOptions>();
  if (serving.tlsCertFile.empty()) {
    opts->certificateChainPem = st.pki.serving.certPem;
    opts->privateKeyPem = st.pki.serving.keyPem;
  } else {
    auto c = tls::readFile(serving.tlsCertFile);
    if (!c) return fail(invalid("serving.tlsCertFile", c.error().message));
    auto k = tls::readFile(serving.tlsPrivateKeyFile);
    if (!k) return fail(invalid("serving.tlsPrivateKeyFile", k.error().message));
    auto facts = tls::inspectCertificate(*c);
    if (!facts) return fail(invalid("serving.tlsCertFile", serving.tlsCertFile.string() + ": " + facts.error().message));
    if (!tls::keyMatches(*c, *k))
      return fail(invalid("serving.tlsPrivateKeyFile",
                          serving.tlsPrivateKeyFile.string() + " is not the private key of " + serving.tlsCertFile.string()));
    if (facts->notAfter <= std::time(nullptr))
      log.warn("the serving certificate " + serving.tlsCertFile.string() + " has expired");
    opts->certificateChainPem = std::move(*c);
    opts->privateKeyPem = std::move(*k);
  }
  st.servingChainPem = opts->certificateChainPem;
  opts->tls13Only = serving.tlsMinVersion == "VersionTLS13";
  opts->handshakeTimeout = serving.tlsHandshakeTimeout;

  // Client certificates: the host's own CA (it signs the admin certificate) and the operator's
  // --client-ca-file; the request-header CA is a bundle of its own, so that a client certificate
  // can never assert a user in headers.
  auto hostCa = tls::CertPool::fromPem(st.pki.ca.certPem, (serving.certDir / "ca.crt").string());
  if (!hostCa) return fail(invalid("serving.certDir", hostCa.error().message));
  std::shared_ptr<const tls::CertPool> clientCa = *hostCa;
  if (!authn.clientCAFile.empty()) {
    auto given = tls::CertPool::fromFile(authn.clientCAFile);
    if (!given) return fail(invalid("authentication.clientCAFile", given.error().message));
    clientCa = tls::CertPool::merge(**given, **hostCa);
  }
  opts->clientCaBundles.emplace_back(std::string(authentication::kClientCaBundle), clientCa);
  if (!authn.requestHeader.clientCAFile.empty()) {
    auto rh = tls::CertPool::fromFile(authn.requestHeader.clientCAFile);
    if (!rh) return fail(invalid("authentication.requestHeader.clientCAFile", rh.error().message));
    opts->clientCaBundles.emplace_back(std::string(authentication::kRequestHeaderCaBundle), *rh);
  }
  return std::shared_ptr<const TlsServingOptions>(std::move(opts));
}

// authenticators builds them in kube's order: request header, x509, tokens.
Result<void> authenticators(SecureServing::State& st) {
  const auto& a = st.cfg.authentication;
  st.authn.anonymous = a.anonymous;
  if (!a.requestHeader.clientCAFile.empty()) {
    authentication::RequestHeaderOptions rh;
    rh.allowedNames = a.requestHeader.allowedNames;
    rh.usernameHeaders = a.requestHeader.usernameHeaders;
    rh.groupHeaders = a.requestHeader.groupHeaders;
    rh.extraHeadersPrefix = a.requestHeader.extraHeadersPrefix;
    st.authn.authenticators.push_back(authentication::requestHeader(std::move(rh)));
  }
  st.authn.authenticators.push_back(authentication::x509());
  if (!a.tokenAuthFile.empty()) {
    std::vector<std::string> warnings;
    auto tokens = authentication::TokenFile::load(a.tokenAuthFile, &warnings);
    if (!tokens) return fail(invalid("authentication.tokenAuthFile", tokens.error().message));
    for (const auto& w : warnings) st.log->warn(w);
    st.log->info("authentication: " + std::to_string(tokens->size()) + " static token(s) from " + a.tokenAuthFile.string());
    st.authn.authenticators.push_back(
        authentication::bearerToken(std::make_shared<const authentication::TokenFile>(std::move(*tokens))));
  }
  return {};
}

Result<void> auditing(SecureServing::State& st) {
  const auto& a = st.cfg.audit;
  if (a.policyFile.empty() && a.logPath.empty()) return {};
  if (a.policyFile.empty()) {
    st.log->warn("audit: --audit-log-path is set but --audit-policy-file is not: nothing is audited");
    return {};
  }
  auto policy = audit::loadPolicy(a.policyFile);
  if (!policy) return fail(invalid("audit.policyFile", policy.error().message));
  if (a.logPath.empty()) {
    st.log->warn("audit: --audit-policy-file is set but --audit-log-path is not: events go nowhere");
    return {};
  }
  audit::LogBackendOptions lo;
  lo.path = a.logPath;
  lo.maxSizeBytes = static_cast<std::uint64_t>(a.logMaxSize > 0 ? a.logMaxSize : 100) << 20;
  lo.maxBackups = a.logMaxBackup;
  lo.maxAgeDays = a.logMaxAge;
  auto backend = audit::LogBackend::open(std::move(lo));
  if (!backend) return fail(invalid("audit.logPath", backend.error().message));
  st.auditor = std::make_shared<audit::Auditor>(std::move(*policy), std::move(*backend), *st.log);
  st.log->info("audit: policy " + a.policyFile.string() + ", log " + a.logPath);
  return {};
}

}  // namespace

std::string hostPort(const std::string& address, std::uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

SecureServing::SecureServing(std::unique_ptr<State> state) : s_(std::move(state)) {}
SecureServing::~SecureServing() = default;

Result<std::unique_ptr<SecureServing>> SecureServing::create(const config::Config& cfg, Logger& log) {
  auto st = std::make_unique<State>();
  st->cfg = cfg;
  st->log = &log;
  // The files the operator gave are checked before anything is generated.
  if (auto r = authenticators(*st); !r) return fail(std::move(r).error());
  if (auto r = auditing(*st); !r) return fail(std::move(r).error());
  std::shared_ptr<const TlsServingOptions> tlsOpts;
  if (cfg.serving.securePort >= 0) {
    auto t = tlsServing(*st);
    if (!t) return fail(std::move(t).error());
    tlsOpts = std::move(*t);
  }
  std::unique_ptr<SecureServing> out(new SecureServing(std::move(st)));
  out->tls_ = std::move(tlsOpts);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<LinkFactory>>> SecureServing::linkFactories(
    std::shared_ptr<const Authorizer> authorizer) const {
  return {
      {"authentication", authentication::authenticationLink(s_->authn, s_->auditor, *s_->log)},
      {"audit", audit::auditLink(s_->auditor)},
      {"impersonation", authentication::impersonationLink(std::move(authorizer), *s_->log)},
  };
}

Result<fs::path> SecureServing::writeAdminKubeconfig(std::uint16_t port) const {
  const auto& serving = s_->cfg.serving;
  std::string host = serving.bindAddress;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  const std::string url = "https://" + hostPort(host, port);
  tls::KubeconfigUser user;
  user.name = "admin";
  user.clientCertificate = s_->pki.admin;
  const std::string yaml = tls::kubeconfigYaml("apiserver-host", url, s_->servingChainPem == s_->pki.serving.certPem
                                                                           ? s_->pki.ca.certPem
                                                                           : s_->servingChainPem,
                                               user);
  const fs::path dir = s_->cfg.storage.dataDir.lexically_normal();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ApiError::internal("creating " + dir.string() + ": " + ec.message()));
  const fs::path file = dir / "admin.kubeconfig";
  if (auto r = tls::writeFileAtomic(file, yaml, fs::perms::owner_read | fs::perms::owner_write); !r)
    return fail(std::move(r).error());
  return file;
}

}  // namespace apiserver::server
