// The server's SSL_CTX, built from the tls-* settings with Redis's rules
// and log texts (tls.c's tlsConfigure): the certificate chain and key, the
// CA to verify clients with, tls-auth-clients, protocols, ciphers, DH
// parameters and the session cache.
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <sstream>
#include <vector>

#include "kvd/server/tls.hpp"

namespace kvd::server {

const char* const kTlsContextSettings[] = {"tls-cert-file",
                                           "tls-key-file",
                                           "tls-key-file-pass",
                                           "tls-client-cert-file",
                                           "tls-client-key-file",
                                           "tls-client-key-file-pass",
                                           "tls-dh-params-file",
                                           "tls-ca-cert-file",
                                           "tls-ca-cert-dir",
                                           "tls-auth-clients",
                                           "tls-protocols",
                                           "tls-ciphers",
                                           "tls-ciphersuites",
                                           "tls-prefer-server-ciphers",
                                           "tls-session-caching",
                                           "tls-session-cache-size",
                                           "tls-session-cache-timeout"};
const size_t kTlsContextSettingCount = sizeof(kTlsContextSettings) / sizeof(kTlsContextSettings[0]);

namespace {

std::string setting(const engine::Config& c, const char* name) {
  return c.get(name).value_or("");
}

// The passphrase of tls-key-file, handed to OpenSSL when it reads the key.
int key_password(char* buf, int size, int /*rwflag*/, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  if (!pass || pass->empty() || size <= 0) return 0;
  const int n = static_cast<int>(pass->size()) < size ? static_cast<int>(pass->size()) : size;
  pass->copy(buf, static_cast<size_t>(n));
  return n;
}

// tls-protocols: "TLSv1.2 TLSv1.3" and the like; 0 bits means invalid.
bool parse_protocols(const std::string& text, int* min_version, int* max_version) {
  if (text.empty()) {  // Redis's default: TLS 1.2 and 1.3
    *min_version = TLS1_2_VERSION;
    *max_version = TLS1_3_VERSION;
    return true;
  }
  std::istringstream words(text);
  std::string w;
  int lo = 0, hi = 0;
  while (words >> w) {
    int v;
    if (w == "TLSv1" || w == "tlsv1") {
      v = TLS1_VERSION;
    } else if (w == "TLSv1.1" || w == "tlsv1.1") {
      v = TLS1_1_VERSION;
    } else if (w == "TLSv1.2" || w == "tlsv1.2") {
      v = TLS1_2_VERSION;
    } else if (w == "TLSv1.3" || w == "tlsv1.3") {
      v = TLS1_3_VERSION;
    } else {
      return false;
    }
    if (lo == 0 || v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo == 0) return false;
  *min_version = lo;
  *max_version = hi;
  return true;
}

// Reads DH parameters (PEM) for tls-dh-params-file.
EVP_PKEY* load_dh_params(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return nullptr;
  EVP_PKEY* pkey = nullptr;
  OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(
      &pkey, "PEM", nullptr, "DH", OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, nullptr, nullptr);
  if (dctx && !OSSL_DECODER_from_fp(dctx, f)) pkey = nullptr;
  OSSL_DECODER_CTX_free(dctx);
  std::fclose(f);
  return pkey;
}

}  // namespace

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

std::string TlsContext::configure(const engine::Config& config) {
  const std::string cert = setting(config, "tls-cert-file");
  const std::string key = setting(config, "tls-key-file");
  const std::string key_pass = setting(config, "tls-key-file-pass");
  const std::string ca_file = setting(config, "tls-ca-cert-file");
  const std::string ca_dir = setting(config, "tls-ca-cert-dir");
  const std::string auth = setting(config, "tls-auth-clients");
  const std::string dh = setting(config, "tls-dh-params-file");
  const std::string ciphers = setting(config, "tls-ciphers");
  const std::string suites = setting(config, "tls-ciphersuites");

  if (cert.empty()) return "No tls-cert-file configured!";
  if (key.empty()) return "No tls-key-file configured!";
  if (auth != "no" && ca_file.empty() && ca_dir.empty())
    return "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-auth-clients "
           "is enabled!";
  int min_version = 0, max_version = 0;
  if (!parse_protocols(setting(config, "tls-protocols"), &min_version, &max_version))
    return "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' "
           "and 'TLSv1.3'.";

  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return "Failed to create TLS context: " + openssl_error_text();
  auto fail = [&](const std::string& why) {
    SSL_CTX_free(ctx);
    return why;
  };
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  // (OpenSSL 3 refuses client-initiated renegotiation by default.)
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_DH_USE);
  if (setting(config, "tls-prefer-server-ciphers") == "yes")
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Idle connections give their buffers back (thousands of them add up).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // One read(2) per request rather than two (record header, then body):
  // OpenSSL reads ahead into its buffer, and TlsStream::read_into reports
  // what it holds (SSL_has_pending) so the connection reads on.
  SSL_CTX_set_read_ahead(ctx, 1);

  if (setting(config, "tls-session-caching") == "no") {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  } else {
    static const unsigned char kSessionContext[] = "kvd";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, std::stol(setting(config, "tls-session-cache-size")));
    SSL_CTX_set_timeout(ctx, std::stol(setting(config, "tls-session-cache-timeout")));
  }

  // The passphrase lives only for the loading below.
  SSL_CTX_set_default_passwd_cb(ctx, key_password);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&key_pass));
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) <= 0)
    return fail("Failed to load certificate: " + cert + ": " + openssl_error_text());
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) <= 0)
    return fail("Failed to load private key: " + key + ": " + openssl_error_text());
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  if (SSL_CTX_check_private_key(ctx) <= 0)
    return fail("Private key does not match the certificate: " + openssl_error_text());

  if ((!ca_file.empty() || !ca_dir.empty()) &&
      SSL_CTX_load_verify_locations(ctx, ca_file.empty() ? nullptr : ca_file.c_str(),
                                    ca_dir.empty() ? nullptr : ca_dir.c_str()) <= 0)
    return fail("Failed to configure CA certificate(s) file/directory: " + openssl_error_text());

  if (!dh.empty()) {
    EVP_PKEY* params = load_dh_params(dh);
    if (!params) return fail("Failed to load " + dh + ": " + openssl_error_text());
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, params) <= 0) {
      EVP_PKEY_free(params);
      return fail("Failed to load DH params file: " + dh + ": " + openssl_error_text());
    }
  } else {
    SSL_CTX_set_dh_auto(ctx, 1);
  }

  if (!ciphers.empty() && !SSL_CTX_set_cipher_list(ctx, ciphers.c_str()))
    return fail("Failed to configure ciphers: " + ciphers);
  if (!suites.empty() && !SSL_CTX_set_ciphersuites(ctx, suites.c_str()))
    return fail("Failed to configure ciphersuites: " + suites);

  if (auth == "no") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  } else if (auth == "optional") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }

  SSL_CTX_free(ctx_);
  ctx_ = ctx;
  return "";
}

std::unique_ptr<TlsStream> TlsContext::accept(int fd) const {
  if (!ctx_) return nullptr;
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsStream>(ssl);
}

}  // namespace kvd::server
