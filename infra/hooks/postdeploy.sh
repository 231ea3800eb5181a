#!/bin/sh
# azd postdeploy hook: uploads the trusted CAs (CERTGATE_TRUSTED_CA_FILE, the same PEM file the
# gateway got) to certgate through the management API, POST /api/manage/cas, once the code is
# deployed. The Function App only accepts traffic from its gateway, so the call goes through the
# gateway: to CERTGATE_PUBLIC_HOST_NAME, resolved to the gateway's IP when DNS is not set up yet.
# Auth: the function key (az functionapp keys list) and, with the management API registration, an
# Entra token of the signed-in admin (az account get-access-token; they need Certgate.Admin).
# In strict mode the gateway wants a client certificate: set CERTGATE_ADMIN_CLIENT_CERT and
# CERTGATE_ADMIN_CLIENT_KEY (PEM files). The API's answer is printed.
set -eu

value() { azd env get-value "$1" 2>/dev/null || true; }

ca_file=$(value CERTGATE_TRUSTED_CA_FILE)
if [ -z "$ca_file" ]; then
  echo "postdeploy: CERTGATE_TRUSTED_CA_FILE not set; upload the CAs later with POST /api/manage/cas (infra/README.md)"
  exit 0
fi

group=$(value AZURE_RESOURCE_GROUP)
app=$(value AZURE_FUNCTION_APP_NAME)
host=$(value CERTGATE_PUBLIC_HOST_NAME)
ip=$(value CERTGATE_GATEWAY_PUBLIC_IP)
client_id=$(value CERTGATE_MANAGEMENT_API_CLIENT_ID)

function_key=$(az functionapp keys list --resource-group "$group" --name "$app" --query functionKeys.default --output tsv)

set -- --silent --show-error --fail-with-body --request POST \
  --header "x-functions-key: $function_key" \
  --header "Content-Type: application/x-pem-file" \
  --data-binary "@$ca_file"
if [ -n "$client_id" ]; then
  token=$(az account get-access-token --resource "$client_id" --query accessToken --output tsv)
  set -- "$@" --header "Authorization: Bearer $token"
fi
if [ -n "$ip" ]; then set -- "$@" --resolve "$host:443:$ip"; fi
cert=$(value CERTGATE_ADMIN_CLIENT_CERT)
if [ -n "$cert" ]; then set -- "$@" --cert "$cert" --key "$(value CERTGATE_ADMIN_CLIENT_KEY)"; fi

echo "postdeploy: uploading $ca_file to https://$host/api/manage/cas"
curl "$@" "https://$host/api/manage/cas"
echo
