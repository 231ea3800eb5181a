// Application Gateway v2 with mutual authentication in front of the certgate Function App.
//
// The HTTPS listener asks every client for a certificate (SSL profile, Strict or Passthrough), and
// the rewrite rule set writes what certgate's `app-gateway` intake reads
// (shared/cert/intake/formats/app-gateway.ts): X-Client-Certificate = {var_client_certificate}
// (URL-encoded PEM, leaf only) and X-Client-Certificate-Verification =
// {var_client_certificate_verification}, plus the gateway secret, and overwrites or deletes the
// forwarded-host / URL / app-hint headers a client could have sent. The only other listener
// (HTTP :80) redirects to HTTPS and never reaches certgate, so no header can be forged around the
// rewrite.
@description('Required. Gateway name.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags.')
param tags object = {}

@description('Required. Resource id of the gateway subnet.')
param subnetId string

@description('Required. Host name of the Function App (backend), e.g. func-xyz.azurewebsites.net.')
param backendHostName string

@description('Required. Host name clients use (DNS points it at the gateway public IP); the listener certificate must match it.')
param publicHostName string

@description('Required. Listener (server) certificate: base64 of a PFX file.')
@secure()
param listenerCertificatePfx string

@description('Required. Password of the listener PFX.')
@secure()
param listenerCertificatePassword string

@description('Optional. The organisation\'s root and issuing CAs: base64 of one PEM file holding them (root included). Required in strict mode.')
param trustedClientCaBundle string = ''

@description('Required. passthrough: the gateway asks for a certificate and forwards whatever it got, certgate decides; strict: the gateway refuses a missing or invalid certificate. Must match CERTGATE_GATEWAY_MODE.')
@allowed(['passthrough', 'strict'])
param mode string

@description('Optional. Strict mode: have the gateway check client certificates by OCSP as well (certgate checks revocation either way).')
param verifyClientRevocation bool = true

@description('Required. The gateway secret written into every request (X-Certgate-Gateway-Secret).')
@secure()
param gatewaySecret string

@description('Optional. Resource id of a WAF policy; empty for Standard_v2 without WAF.')
param wafPolicyId string = ''

@description('Optional. Autoscale floor (0 = scale to zero instances when idle, slower first request).')
@minValue(0)
param minCapacity int = 1

@description('Optional. Autoscale ceiling.')
@minValue(2)
param maxCapacity int = 10

var strict = mode == 'strict'
var hasCas = !empty(trustedClientCaBundle)
var gatewayId = resourceId('Microsoft.Network/applicationGateways', name)
var secretHeaderName = 'X-Certgate-Gateway-Secret'

// Every request header the rewrite sets; an empty value deletes the header.
var forwardedHeaders = [
  { headerName: 'X-Client-Certificate', headerValue: '{var_client_certificate}' }
  { headerName: 'X-Client-Certificate-Verification', headerValue: '{var_client_certificate_verification}' }
  { headerName: secretHeaderName, headerValue: gatewaySecret }
  { headerName: 'X-Forwarded-Host', headerValue: '{var_host}' }
  { headerName: 'X-Original-Host', headerValue: '{var_host}' }
  { headerName: 'X-Original-URL', headerValue: '{var_request_uri}' }
  { headerName: 'X-Forwarded-Uri', headerValue: '' }
  { headerName: 'X-Certgate-App', headerValue: '' }
]

var clientAuthConfiguration = strict
  ? {
      verifyClientAuthMode: 'Strict'
      verifyClientCertIssuerDN: false
      verifyClientRevocation: verifyClientRevocation ? 'OCSP' : 'None'
    }
  : {
      verifyClientAuthMode: 'Passthrough'
    }

resource publicIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: 'pip-${name}'
  location: location
  tags: tags
  sku: { name: 'Standard' }
  properties: {
    publicIPAllocationMethod: 'Static'
  }
}

resource gateway 'Microsoft.Network/applicationGateways@2025-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: empty(wafPolicyId) ? 'Standard_v2' : 'WAF_v2'
      tier: empty(wafPolicyId) ? 'Standard_v2' : 'WAF_v2'
    }
    autoscaleConfiguration: { minCapacity: minCapacity, maxCapacity: maxCapacity }
    firewallPolicy: empty(wafPolicyId) ? null : { id: wafPolicyId }
    gatewayIPConfigurations: [{ name: 'gateway-ip', properties: { subnet: { id: subnetId } } }]
    frontendIPConfigurations: [{ name: 'public', properties: { publicIPAddress: { id: publicIp.id } } }]
    frontendPorts: [
      { name: 'https', properties: { port: 443 } }
      { name: 'http', properties: { port: 80 } }
    ]
    sslCertificates: [
      { name: 'listener', properties: { data: listenerCertificatePfx, password: listenerCertificatePassword } }
    ]
    trustedClientCertificates: hasCas ? [{ name: 'organisation-cas', properties: { data: trustedClientCaBundle } }] : []
    sslProfiles: [
      {
        name: 'certgate-mtls'
        properties: {
          trustedClientCertificates: hasCas ? [{ id: '${gatewayId}/trustedClientCertificates/organisation-cas' }] : []
          clientAuthConfiguration: clientAuthConfiguration
          sslPolicy: { policyType: 'Predefined', policyName: 'AppGwSslPolicy20220101S' }
        }
      }
    ]
    httpListeners: [
      {
        name: 'https-mtls'
        properties: {
          protocol: 'Https'
          hostName: publicHostName
          requireServerNameIndication: true
          frontendIPConfiguration: { id: '${gatewayId}/frontendIPConfigurations/public' }
          frontendPort: { id: '${gatewayId}/frontendPorts/https' }
          sslCertificate: { id: '${gatewayId}/sslCertificates/listener' }
          sslProfile: { id: '${gatewayId}/sslProfiles/certgate-mtls' }
        }
      }
      {
        name: 'http'
        properties: {
          protocol: 'Http'
          frontendIPConfiguration: { id: '${gatewayId}/frontendIPConfigurations/public' }
          frontendPort: { id: '${gatewayId}/frontendPorts/http' }
        }
      }
    ]
    backendAddressPools: [{ name: 'certgate', properties: { backendAddresses: [{ fqdn: backendHostName }] } }]
    probes: [
      {
        name: 'certgate-health'
        properties: {
          protocol: 'Https'
          path: '/api/health'
          interval: 30
          timeout: 30
          unhealthyThreshold: 3
          pickHostNameFromBackendHttpSettings: true
          match: { statusCodes: ['200-399'] }
        }
      }
    ]
    backendHttpSettingsCollection: [
      {
        name: 'certgate-https'
        properties: {
          port: 443
          protocol: 'Https'
          pickHostNameFromBackendAddress: true
          requestTimeout: 230
          cookieBasedAffinity: 'Disabled'
          probe: { id: '${gatewayId}/probes/certgate-health' }
        }
      }
    ]
    rewriteRuleSets: [
      {
        name: 'certgate-forwarded-facts'
        properties: {
          rewriteRules: [
            {
              name: 'forward-client-certificate'
              ruleSequence: 100
              conditions: []
              actionSet: {
                requestHeaderConfigurations: forwardedHeaders
                responseHeaderConfigurations: []
              }
            }
          ]
        }
      }
    ]
    redirectConfigurations: [
      {
        name: 'http-to-https'
        properties: {
          redirectType: 'Permanent'
          targetListener: { id: '${gatewayId}/httpListeners/https-mtls' }
          includePath: true
          includeQueryString: true
        }
      }
    ]
    requestRoutingRules: [
      {
        name: 'certgate'
        properties: {
          ruleType: 'Basic'
          priority: 100
          httpListener: { id: '${gatewayId}/httpListeners/https-mtls' }
          backendAddressPool: { id: '${gatewayId}/backendAddressPools/certgate' }
          backendHttpSettings: { id: '${gatewayId}/backendHttpSettingsCollection/certgate-https' }
          rewriteRuleSet: { id: '${gatewayId}/rewriteRuleSets/certgate-forwarded-facts' }
        }
      }
      {
        name: 'http-redirect'
        properties: {
          ruleType: 'Basic'
          priority: 200
          httpListener: { id: '${gatewayId}/httpListeners/http' }
          redirectConfiguration: { id: '${gatewayId}/redirectConfigurations/http-to-https' }
        }
      }
    ]
  }
}

@description('Public IP address of the gateway (point publicHostName at it).')
output publicIpAddress string = publicIp.properties.ipAddress

@description('Resource id of the gateway.')
output id string = gateway.id
