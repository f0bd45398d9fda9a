"""Electronic seals, personal signatures, timestamps, validation reports and the dev PKI (pyHanko).

- `seal.SealingService` implements the `Sealer` port (PAdES B-B / B-T / B-LTA, visible red seal)
  and adds personal signatures (`sign_as`, the first may certify).
- `verify.SignatureVerifier` implements the `Verifier` port.
- `pki.DevPki` is the dev CA hierarchy created on first run; `tsa.TimestampAuthority` our RFC 3161
  TSA (and CRL/OCSP endpoints) on loopback.
- `config.open_signing(SigningConfig.from_env(...))` assembles all of it for the app.
"""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

# pyHanko imports cryptography's DSA key types when it loads, and cryptography deprecates DSA.
# We never seal, sign or verify with DSA; unfiltered, the warning greets every process start.
warnings.filterwarnings(
    "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning, module=r"pyhanko\."
)
