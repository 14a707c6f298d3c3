import { createHash, X509Certificate } from 'node:crypto';

/**
 * The base64 SHA-256 of a certificate's SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, DER), the pin
 * format of RFC 7469 §2.4 that Chromium's `--ignore-certificate-errors-spki-list` takes: a browser
 * given it trusts exactly that test certificate and no other.
 *
 * @param certificatePem - the certificate, PEM.
 */
export function spkiSha256(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
