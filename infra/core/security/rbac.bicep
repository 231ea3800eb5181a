// Every Azure role assignment of the deployment, in one place. Data plane only, each on the one
// resource it is for:
//   Storage Blob Data Contributor   ba92f5b4-2d11-453d-a403-e96b0029c9fe  (storage account)
//   Storage Queue Data Contributor  974c5e8b-45b9-4653-ba55-5f855dd0fb88  (storage account)
//   Storage Table Data Contributor  0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3  (storage account)
//   Key Vault Secrets User          4633458b-17de-408a-b874-0445c86b69e6  (the vault)
//   EventGrid Data Sender           d5a91429-5739-47e2-a06b-3470a27159e7  (the alert topic, when enabled)
@description('Required. Object id of the Function App\'s managed identity.')
param appPrincipalId string

@description('Required. Name of the storage account.')
param storageAccountName string

@description('Required. Name of the Key Vault.')
param keyVaultName string

@description('Optional. Name of the Event Grid topic for alerts; empty when there is none.')
param eventGridTopicName string = ''

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

var storageRoles = [storageBlobDataContributor, storageQueueDataContributor, storageTableDataContributor]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource topic 'Microsoft.EventGrid/topics@2022-06-15' existing = if (!empty(eventGridTopicName)) {
  name: eventGridTopicName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storage.id, appPrincipalId, roleId)
    scope: storage
    properties: {
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

resource alertSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(eventGridTopicName)) {
  name: guid(resourceId('Microsoft.EventGrid/topics', eventGridTopicName), appPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
  }
}
