"""TLS material: the configured certificate, or a self-signed one.

A self-signed certificate is generated into the data directory on first
start so that IMAPS, STARTTLS and HTTPS work out of the box; production
sites point ``[tls] cert`` and ``key`` at a real certificate.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from icewarp_share.config import Config


def paths(config: Config) -> tuple[Path, Path]:
    """Certificate and key files in use for this configuration."""
    if config.tls.cert and config.tls.key:
        return Path(config.tls.cert), Path(config.tls.key)
    return (config.data_dir / "tls" / "cert.pem",
            config.data_dir / "tls" / "key.pem")


def ensure_certificate(config: Config) -> tuple[Path, Path]:
    """Generate the self-signed pair if none is configured or present."""
    cert_path, key_path = paths(config)
    if config.tls.cert and config.tls.key:
        return cert_path, key_path
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _self_signed(key)
    _write_private(key_path, key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         "icewarp-share")])
    now = datetime.datetime.now(datetime.UTC)
    alt_names = x509.SubjectAlternativeName([
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ])
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(alt_names, critical=False)
            .sign(key, hashes.SHA256()))


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def server_options(config: Config) -> object:
    """Twisted TLS options for every TLS listener: TLS 1.2 or newer."""
    from twisted.internet import ssl

    cert_path, key_path = ensure_certificate(config)
    pem = cert_path.read_bytes() + b"\n" + key_path.read_bytes()
    certificate = ssl.PrivateCertificate.loadPEM(pem)
    return ssl.CertificateOptions(
        privateKey=certificate.privateKey.original,
        certificate=certificate.original,
        raiseMinimumTo=ssl.TLSVersion.TLSv1_2,
    )
