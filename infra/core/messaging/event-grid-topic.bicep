// Optional Event Grid topic the alert dispatcher publishes CloudEvents to (local auth off: the
// app's managed identity sends with EventGrid Data Sender on this topic only, see rbac.bicep).
@description('Required. Topic name.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags.')
param tags object = {}

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

@description('Name of the topic.')
output name string = topic.name

@description('Endpoint alerts are published to.')
output endpoint string = topic.properties.endpoint
