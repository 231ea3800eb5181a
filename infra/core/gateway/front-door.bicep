// Front Door Premium variant (gateway = 'frontdoor'): a custom domain with mutual TLS (preview),
// the Function App as origin with its health probe, and a rule set that overwrites the gateway
// secret header on every request. The Function App's access restriction (app/access-restrictions.bicep)
// admits only the AzureFrontDoor.Backend service tag carrying this profile's X-Azure-FDID.
@description('Required. Profile name.')
param name string

@description('Optional. Tags.')
param tags object = {}

@description('Required. Host name of the Function App (origin).')
param backendHostName string

@description('Required. Custom domain clients use (mutual TLS needs a custom domain; CNAME it to the endpoint).')
param publicHostName string

@description('Required. passthrough: certificates are validated if presented (certgate decides); strict: a valid certificate is required by Front Door.')
@allowed(['passthrough', 'strict'])
param mode string

@description('Optional. Have Front Door check client certificate revocation too.')
param verifyClientRevocation bool = true

@description('Optional. Resource ids of Front Door secrets holding the organisation\'s CA chain for mutual TLS (created in the profile beforehand: the preview\'s secret type is not authored here).')
param mtlsCaSecretIds array = []

@description('Required. The gateway secret written into every request.')
@secure()
param gatewaySecret string

var secretHeaderName = 'X-Certgate-Gateway-Secret'

resource profile 'Microsoft.Cdn/profiles@2024-02-01' = {
  name: name
  location: 'global'
  tags: tags
  sku: { name: 'Premium_AzureFrontDoor' }
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' = {
  parent: profile
  name: 'certgate-${uniqueString(profile.id)}'
  location: 'global'
  properties: { enabledState: 'Enabled' }
}

resource originGroup 'Microsoft.Cdn/profiles/originGroups@2024-02-01' = {
  parent: profile
  name: 'certgate'
  properties: {
    loadBalancingSettings: { sampleSize: 4, successfulSamplesRequired: 3, additionalLatencyInMilliseconds: 50 }
    healthProbeSettings: {
      probePath: '/api/health'
      probeProtocol: 'Https'
      probeRequestType: 'GET'
      probeIntervalInSeconds: 100
    }
  }
}

resource origin 'Microsoft.Cdn/profiles/originGroups/origins@2024-02-01' = {
  parent: originGroup
  name: 'function-app'
  properties: {
    hostName: backendHostName
    originHostHeader: backendHostName
    httpsPort: 443
    priority: 1
    weight: 1000
    enforceCertificateNameCheck: true
  }
}

// Mutual TLS on custom domains is a preview feature: this resource needs the preview API version
// (listed with its reason in test/infra/bicep.test.ts).
resource customDomain 'Microsoft.Cdn/profiles/customDomains@2025-09-01-preview' = {
  parent: profile
  name: replace(publicHostName, '.', '-')
  properties: {
    hostName: publicHostName
    tlsSettings: { certificateType: 'ManagedCertificate', minimumTlsVersion: 'TLS12' }
    mtlsSettings: {
      scenario: mode == 'strict' ? 'ClientCertificateRequiredAndValidated' : 'ClientCertificateValidatedIfPresented'
      certificateRevocationCheck: verifyClientRevocation ? 'Enabled' : 'Disabled'
      secrets: [for secretId in mtlsCaSecretIds: { id: secretId }]
    }
  }
}

resource ruleSet 'Microsoft.Cdn/profiles/ruleSets@2024-02-01' = {
  parent: profile
  name: 'certgate'
}

resource secretRule 'Microsoft.Cdn/profiles/ruleSets/rules@2024-02-01' = {
  parent: ruleSet
  name: 'gatewaySecret'
  properties: {
    order: 1
    conditions: []
    matchProcessingBehavior: 'Continue'
    actions: [
      {
        name: 'ModifyRequestHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: secretHeaderName
          value: gatewaySecret
        }
      }
      {
        name: 'ModifyRequestHeader'
        parameters: { typeName: 'DeliveryRuleHeaderActionParameters', headerAction: 'Delete', headerName: 'X-Original-URL' }
      }
      {
        name: 'ModifyRequestHeader'
        parameters: { typeName: 'DeliveryRuleHeaderActionParameters', headerAction: 'Delete', headerName: 'X-Forwarded-Uri' }
      }
      {
        name: 'ModifyRequestHeader'
        parameters: { typeName: 'DeliveryRuleHeaderActionParameters', headerAction: 'Delete', headerName: 'X-Certgate-App' }
      }
    ]
  }
}

resource route 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-02-01' = {
  parent: endpoint
  name: 'certgate'
  dependsOn: [origin, secretRule]
  properties: {
    customDomains: [{ id: customDomain.id }]
    originGroup: { id: originGroup.id }
    ruleSets: [{ id: ruleSet.id }]
    supportedProtocols: ['Https']
    patternsToMatch: ['/*']
    forwardingProtocol: 'HttpsOnly'
    httpsRedirect: 'Disabled'
    // Only the custom domain has mutual TLS: the *.azurefd.net name must not reach certgate.
    linkToDefaultDomain: 'Disabled'
  }
}

@description('The profile id Front Door sends in X-Azure-FDID (CERTGATE_FRONT_DOOR_ID).')
output frontDoorId string = profile.properties.frontDoorId

@description('Endpoint host name: CNAME publicHostName to it.')
output endpointHostName string = endpoint.properties.hostName

@description('DNS TXT validation token of the custom domain (_dnsauth.<publicHostName>).')
output customDomainValidationToken string = customDomain.properties.validationProperties.validationToken
