//! Real networks: a private CA given by `SSL_CERT_FILE` (as behind a corporate proxy),
//! `HTTPS_PROXY` and `NO_PROXY` honoured, and keys never handed to a proxy in clear.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{gatesctl, write, TestSandbox, SMALL};

fn tls() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/tls")
}

/// A TLS server on loopback with the test CA's certificate, passing the clear bytes to `to`.
pub(crate) fn tls_terminator(sandbox: &TestSandbox, to: &str) -> u16 {
    let certs =
        CertificateDer::pem_file_iter(tls().join("server.pem")).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(tls().join("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = sandbox.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let to = to.trim_start_matches("http://").to_string();
    sandbox.runtime.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, to) = (acceptor.clone(), to.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let Ok(mut upstream) = tokio::net::TcpStream::connect(&to).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    port
}

/// A CONNECT proxy on loopback that tunnels every connection to `port`, whatever host is
/// asked, and records what was asked.
fn connect_proxy(sandbox: &TestSandbox, port: u16) -> (u16, Arc<Mutex<Vec<String>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let listener = sandbox.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let proxy_port = listener.local_addr().unwrap().port();
    let record = Arc::clone(&asked);
    sandbox.runtime.spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if client.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
                record.lock().unwrap().push(line.clone());
                if !line.starts_with("CONNECT ") {
                    let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n").await;
                    return;
                }
                let Ok(mut upstream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else { return };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (proxy_port, asked)
}

#[test]
fn a_private_ca_is_trusted_when_ssl_cert_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let port = tls_terminator(&sandbox, &sandbox.url);
    let url = format!("https://localhost:{port}");
    let ca = tls().join("ca.pem");
    let keys = [("DD_API_URL", url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let trusted = gatesctl(dir.path(), &["plan"], &[&keys[..], &[("SSL_CERT_FILE", ca.to_str().unwrap())]].concat());
    assert_eq!(trusted.code, 0, "{trusted:?}");
    assert!(trusted.stdout.contains("gates 2 to create"), "{trusted:?}");
    let untrusted = gatesctl(dir.path(), &["plan"], &keys);
    assert_eq!(untrusted.code, 1, "{untrusted:?}");
    assert!(untrusted.stderr.contains("certificate"), "names the cause: {untrusted:?}");
}

#[test]
fn https_proxy_is_used_and_no_proxy_bypasses_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let port = tls_terminator(&sandbox, &sandbox.url);
    let (proxy_port, asked) = connect_proxy(&sandbox, port);
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let ca = tls().join("ca.pem");
    // A host only the proxy can reach: nothing here resolves it.
    let env = [
        ("DD_API_URL", "https://api.gates.test"),
        ("DD_API_KEY", "k"),
        ("DD_APP_KEY", "k"),
        ("HTTPS_PROXY", proxy.as_str()),
        ("SSL_CERT_FILE", ca.to_str().unwrap()),
    ];
    let through = gatesctl(dir.path(), &["plan"], &env);
    assert_eq!(through.code, 0, "{through:?}");
    assert!(asked.lock().unwrap().iter().all(|l| l.starts_with("CONNECT api.gates.test:443 ")), "{asked:?}");
    let tunnels = asked.lock().unwrap().len();
    assert!(tunnels >= 1);
    let bypassed = gatesctl(dir.path(), &["plan"], &[&env[..], &[("NO_PROXY", "api.gates.test")]].concat());
    assert_eq!(bypassed.code, 1, "{bypassed:?}");
    assert_eq!(asked.lock().unwrap().len(), tunnels, "NO_PROXY: the proxy was not asked");
}

#[test]
fn keys_for_a_loopback_http_api_never_go_through_a_proxy() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let (proxy_port, asked) = connect_proxy(&sandbox, 9);
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let env = [
        ("DD_API_URL", sandbox.url.as_str()),
        ("DD_API_KEY", "k"),
        ("DD_APP_KEY", "k"),
        ("HTTP_PROXY", proxy.as_str()),
        ("ALL_PROXY", proxy.as_str()),
    ];
    let run = gatesctl(dir.path(), &["plan"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(asked.lock().unwrap().is_empty(), "{asked:?}");
}
