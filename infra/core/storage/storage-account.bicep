// The one storage account certgate uses: tables (trusted CAs, policies, audit, decision log),
// queues (alert events and their poison queue), blobs (CRL archive, reports, the deployment
// package). Shared-key access is off: everything reaches it with Entra ID (managed identity).
@description('Required. Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags.')
param tags object = {}

@description('Required. Table names to create (the app also creates them on first use).')
param tableNames array

@description('Required. Queue names to create.')
param queueNames array

@description('Required. Blob container names to create (the deployment package container among them).')
param containerNames array

@description('Required. Blob name prefixes ("container/prefix") whose blobs are deleted after archiveRetentionDays.')
param archivePrefixes array

@description('Optional. Days after their last change that archived blobs are deleted.')
@minValue(1)
param archiveRetentionDays int = 90

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: { enabled: true, days: 7 }
    }
    resource containers 'containers' = [
      for containerName in containerNames: {
        name: containerName
        properties: { publicAccess: 'None' }
      }
    ]
  }

  resource queueServices 'queueServices' = {
    name: 'default'
    resource queues 'queues' = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }

  resource tableServices 'tableServices' = {
    name: 'default'
    resource tables 'tables' = [
      for tableName in tableNames: {
        name: tableName
      }
    ]
  }

  resource lifecycle 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        rules: [
          {
            name: 'delete-old-archive-data'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: ['blockBlob']
                prefixMatch: archivePrefixes
              }
              actions: {
                baseBlob: { delete: { daysAfterModificationGreaterThan: archiveRetentionDays } }
              }
            }
          }
        ]
      }
    }
  }
}

@description('Name of the storage account.')
output name string = storage.name

@description('Resource id of the storage account.')
output id string = storage.id

@description('Blob endpoint, e.g. https://<name>.blob.core.windows.net/.')
output blobEndpoint string = storage.properties.primaryEndpoints.blob
