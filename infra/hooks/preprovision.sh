#!/bin/sh
# azd preprovision hook: fills the azd environment values infra/main.parameters.json reads and that
# only the admin's machine should generate. Idempotent: a value already set is kept.
#   CERTGATE_GATEWAY_SECRET              random, 43 characters (the gateway sends it, certgate checks it)
#   CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATE random, 43 characters (Graph change notifications' clientState)
#   CERTGATE_GATE_SIGNING_KEY_PEM_BASE64 a new EC P-256 key, PKCS#8 PEM, base64 (the gate's assertion key)
#   CERTGATE_TRUSTED_CA_BUNDLE_BASE64    base64 of CERTGATE_TRUSTED_CA_FILE (the org's root + issuing CAs, PEM)
#   CERTGATE_LISTENER_PFX_BASE64         base64 of CERTGATE_LISTENER_PFX_FILE (appgw listener certificate)
# Needs: azd, openssl, base64. The values land in .azure/<env>/.env: keep that directory private.
set -eu

value() { azd env get-value "$1" 2>/dev/null || true; }

if [ -z "$(value CERTGATE_GATEWAY_SECRET)" ]; then
  azd env set CERTGATE_GATEWAY_SECRET "$(openssl rand -base64 32 | tr -d '=+/\n')"
  echo "preprovision: generated CERTGATE_GATEWAY_SECRET"
fi

if [ -z "$(value CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATE)" ]; then
  azd env set CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATE "$(openssl rand -base64 32 | tr -d '=+/\n')"
  echo "preprovision: generated CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATE"
fi

if [ -z "$(value CERTGATE_GATE_SIGNING_KEY_PEM_BASE64)" ]; then
  key=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform PEM | base64 | tr -d '\n')
  azd env set CERTGATE_GATE_SIGNING_KEY_PEM_BASE64 "$key"
  echo "preprovision: generated the gate signing key (EC P-256)"
fi

ca_file=$(value CERTGATE_TRUSTED_CA_FILE)
if [ -n "$ca_file" ]; then
  grep -q -- '-----BEGIN CERTIFICATE-----' "$ca_file" || { echo "preprovision: $ca_file holds no PEM certificate" >&2; exit 1; }
  if grep -q -- 'PRIVATE KEY' "$ca_file"; then echo "preprovision: $ca_file holds a private key; refusing" >&2; exit 1; fi
  azd env set CERTGATE_TRUSTED_CA_BUNDLE_BASE64 "$(base64 < "$ca_file" | tr -d '\n')"
fi

pfx_file=$(value CERTGATE_LISTENER_PFX_FILE)
if [ -n "$pfx_file" ]; then
  azd env set CERTGATE_LISTENER_PFX_BASE64 "$(base64 < "$pfx_file" | tr -d '\n')"
fi

if [ -z "$(value CERTGATE_PUBLIC_HOST_NAME)" ]; then
  echo "preprovision: set CERTGATE_PUBLIC_HOST_NAME first (azd env set CERTGATE_PUBLIC_HOST_NAME apps.contoso.com)" >&2
  exit 1
fi
