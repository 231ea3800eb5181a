// The certgate Function App on Flex Consumption (Linux, Node 22), running as the user-assigned
// managed identity. App settings and the network lock-down are separate resources
// (app-settings.bicep, access-restrictions.bicep): they need the gateway, which needs this app's
// host name first. Flex Consumption has no platform health check; the gateways probe /api/health.
@description('Required. Function App name.')
param name string

@description('Required. Plan name.')
param planName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags (azd-service-name is added here).')
param tags object = {}

@description('Required. Resource id of the user-assigned managed identity.')
param identityId string

@description('Required. Blob endpoint of the storage account, ending in /.')
param blobEndpoint string

@description('Required. Blob container the deployment package is written to.')
param deploymentContainerName string

@description('Optional. Most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Optional. Memory of one instance in MB (2048 or 4096).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Optional. HTTP requests one instance serves at a time before Flex adds one.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'certgate' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the same identity (it holds Key Vault Secrets User).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        triggers: { http: { perInstanceConcurrency: httpPerInstanceConcurrency } }
      }
      runtime: { name: 'node', version: '22' }
    }
  }

  // No publishing with user names and passwords: azd deploys with an Entra token.
  resource ftpCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }
  resource scmCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }
}

@description('Name of the Function App.')
output name string = site.name

@description('Default host name of the Function App (the gateway\'s backend).')
output defaultHostName string = site.properties.defaultHostName
