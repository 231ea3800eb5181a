// The Function App's user-assigned managed identity: storage, Key Vault and Microsoft Graph are
// all reached with it (no keys, no connection strings).
@description('Required. Name of the identity.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Client id (AZURE_CLIENT_ID for DefaultAzureCredential, AzureWebJobsStorage__clientId).')
output clientId string = identity.properties.clientId

@description('Object id of the identity\'s service principal (role assignments, Graph app roles).')
output principalId string = identity.properties.principalId

@description('Name of the identity.')
output name string = identity.name
