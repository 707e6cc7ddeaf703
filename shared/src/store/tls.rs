//! TLS to Postgres (RDS Proxy, PgBouncer) and Redis (ElastiCache) with
//! rustls, configured as libpq and redis-cli users expect: `sslmode` and
//! `sslrootcert` in `DATABASE_URL`, `rediss://` plus `REDIS_CA_FILE`.
//! Without a CA file the system's roots are trusted (read once per process):
//! they include the Amazon roots that RDS Proxy's and ElastiCache's
//! certificates chain to, and the AWS SDK's own client uses them too.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};

/// libpq's `sslmode`, all five values that matter on AWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// Plaintext only.
    Disable,
    /// TLS when the server offers it, unverified; plaintext otherwise (libpq's default).
    Prefer,
    /// TLS or nothing, unverified (verify-ca when a root certificate is named, as in libpq).
    Require,
    /// TLS with a certificate that chains to a trusted root, any host name.
    VerifyCa,
    /// TLS with a trusted certificate issued for the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other} is not supported (use disable, prefer, require, verify-ca or verify-full)"
                ))
            }
        })
    }
}

/// A parsed `DATABASE_URL`: what tokio-postgres understands, plus the TLS
/// settings it does not (verify-ca, verify-full, sslrootcert).
pub struct PostgresTarget {
    pub config: tokio_postgres::Config,
    pub tls: PostgresTls,
}

/// Splits `sslmode` and `sslrootcert` out of a `postgres://` URL and builds
/// the connector they ask for. A root certificate file is read here, once.
pub fn postgres_target(url: &str) -> Result<PostgresTarget, String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut mode = SslMode::Prefer;
    let mut root_cert: Option<String> = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "sslmode" => mode = SslMode::parse(&value)?,
            "sslrootcert" => root_cert = Some(value),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    let mut config: tokio_postgres::Config =
        rest.parse().map_err(|e| format!("DATABASE_URL is not a valid Postgres URL: {e}"))?;

    // libpq: with a root certificate, `require` verifies the chain.
    if mode == SslMode::Require && root_cert.as_deref().is_some_and(|c| c != "system") {
        mode = SslMode::VerifyCa;
    }
    config.ssl_mode(match mode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        _ => tokio_postgres::config::SslMode::Require,
    });
    // A named file is read now, so that a wrong path fails at start-up; the
    // system's roots on the first connection, not during the cold start.
    let roots = match root_cert.as_deref() {
        None | Some("system") => None,
        Some(path) => Some(roots_from_file(path, "sslrootcert")?),
    };
    Ok(PostgresTarget { config, tls: PostgresTls { mode, roots, config: Arc::new(OnceLock::new()) } })
}

/// The rustls configuration a mode asks for.
fn client_config(mode: SslMode, roots: Option<RootCertStore>) -> Result<ClientConfig, String> {
    let roots = || roots.clone().unwrap_or_else(system_roots);
    Ok(match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => unverified_config(),
        SslMode::VerifyCa => chain_only_config(roots())?,
        SslMode::VerifyFull => verified_config(roots()),
    })
}

/// The certificates of a PEM file (a private CA).
pub fn roots_from_file(path: &str, what: &str) -> Result<RootCertStore, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{what}: cannot read {path}: {e}"))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("{what}: {path} is not a PEM certificate file: {e}"))?;
        roots.add(cert).map_err(|e| format!("{what}: a certificate in {path} is unusable: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("{what}: {path} holds no certificate"));
    }
    Ok(roots)
}

/// The platform's trusted roots, loaded on first use (a connection, not the
/// cold start) and kept; a file that cannot be read is skipped.
fn system_roots() -> RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let loaded = rustls_native_certs::load_native_certs();
            for error in &loaded.errors {
                tracing::warn!(%error, "a system root certificate could not be loaded");
            }
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(loaded.certs);
            roots
        })
        .clone()
}

/// The one crypto provider of the product (ring, as the AWS SDK's client).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process's default provider, for libraries (redis) that
/// build their rustls configuration with the default. Idempotent.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
}

fn verified_config(roots: RootCertStore) -> ClientConfig {
    builder().with_root_certificates(roots).with_no_client_auth()
}

fn chain_only_config(roots: RootCertStore) -> Result<ClientConfig, String> {
    let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| format!("cannot build the certificate verifier: {e}"))?;
    Ok(libpq_config(LibpqVerifier { chain: Some(chain), provider: provider() }))
}

fn unverified_config() -> ClientConfig {
    libpq_config(LibpqVerifier { chain: None, provider: provider() })
}

fn libpq_config(verifier: LibpqVerifier) -> ClientConfig {
    builder().dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
}

/// libpq's checks short of `verify-full` (which is rustls' own verifier):
/// the handshake's signatures are always verified; the certificate is
/// checked only as far as the mode asks.
#[derive(Debug)]
struct LibpqVerifier {
    /// `verify-ca`: the chain must lead to a trusted root; the name is not
    /// checked. `None` for `prefer` / `require`: encrypted, not
    /// authenticated, exactly as libpq.
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    // The signature checks are WebPkiServerVerifier's own: the provider's
    // algorithms, the same provider the chain verifier was built with.

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// tokio-postgres' TLS hook, backed by tokio-rustls.
#[derive(Clone)]
pub struct PostgresTls {
    mode: SslMode,
    roots: Option<RootCertStore>,
    /// Built on the first connection and shared by the pool's connections.
    config: Arc<OnceLock<Result<Arc<ClientConfig>, String>>>,
}

impl<S> MakeTlsConnect<S> for PostgresTls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = TlsStream<S>;
    type TlsConnect = PostgresTlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, host: &str) -> Result<PostgresTlsConnect, Self::Error> {
        let config = self
            .config
            .get_or_init(|| client_config(self.mode, self.roots.clone()).map(Arc::new))
            .clone()
            .map_err(io::Error::other)?;
        let name = ServerName::try_from(host.to_string()).map_err(io::Error::other)?;
        Ok(PostgresTlsConnect { config, name })
    }
}

pub struct PostgresTlsConnect {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl<S> TlsConnect<S> for PostgresTlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = TlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        let connector = tokio_rustls::TlsConnector::from(self.config);
        Box::pin(async move { Ok(TlsStream(connector.connect(self.name, stream).await?)) })
    }
}

/// A TLS connection to Postgres. No channel binding: SCRAM still
/// authenticates both sides by password, and the certificate check is the
/// verify modes' job.
pub struct TlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for TlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// `%XX` escapes of a URL part decoded (invalid ones kept as they are).
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::config::SslMode as Wire;

    #[test]
    fn libpq_modes_map_to_what_is_sent() {
        let mode = |url: &str| postgres_target(url).map(|t| t.config.get_ssl_mode());
        assert_eq!(mode("postgres://u@h/db").unwrap(), Wire::Prefer, "libpq's default");
        assert_eq!(mode("postgres://u@h/db?sslmode=disable").unwrap(), Wire::Disable);
        for verified in ["require", "verify-ca", "verify-full"] {
            assert_eq!(mode(&format!("postgres://u@h/db?sslmode={verified}")).unwrap(), Wire::Require);
        }
        let err = mode("postgres://u@h/db?sslmode=allow").err().unwrap();
        assert!(err.contains("sslmode=allow"), "{err}");
    }

    #[test]
    fn keeps_the_other_parameters_and_reads_the_root_certificate() {
        let target = postgres_target("postgres://u:p@h:6432/db?application_name=x&sslmode=verify-full").unwrap();
        assert_eq!(target.config.get_application_name(), Some("x"));
        assert_eq!(target.config.get_ports(), [6432]);
        let err = postgres_target("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fno%2Fsuch.pem").err().unwrap();
        assert!(err.contains("/no/such.pem"), "{err}");
    }
}
