"""RS256 access tokens for many distinct callers, as an OpenID Connect provider issues them: python3 mint_tokens.py KEY AUDIENCE N OUT [SCOPE]."""
import base64
import json
import os
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main(key_file, audience, count, output, scope="quotes:read"):
    key = serialization.load_pem_private_key(open(key_file, "rb").read(), None)
    header = b64url(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": "bench"}).encode())
    now = int(time.time())
    with open(output, "w") as out:
        for i in range(count):
            payload = b64url(json.dumps({
                "iss": "https://issuer.bench.local", "aud": audience, "sub": f"agent-{i}", "client_id": "soak",
                "scope": scope, "iat": now, "nbf": now, "exp": now + 3 * 3600, "jti": b64url(os.urandom(12)),
            }).encode())
            signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
            out.write(f"{header}.{payload}.{b64url(signature)}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], *sys.argv[5:6])
