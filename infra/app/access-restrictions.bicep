// Locks the Function App to its gateway: only the Application Gateway subnet, or only Front Door
// (service tag AzureFrontDoor.Backend) carrying this deployment's X-Azure-FDID. Everything else is
// denied, so a spoofed certificate header cannot reach the app directly (the gateway secret is
// the second factor). The deployment (scm) site keeps its own rules: azd publishes to it with Entra ID.
@description('Required. Function App name.')
param functionAppName string

@description('Required. appgw or frontdoor.')
@allowed(['appgw', 'frontdoor'])
param gateway string

@description('Optional. Resource id of the Application Gateway subnet (appgw).')
param gatewaySubnetId string = ''

@description('Optional. Front Door profile id (frontdoor).')
param frontDoorId string = ''

var appGatewayRule = {
  name: 'application-gateway'
  action: 'Allow'
  priority: 100
  vnetSubnetResourceId: gatewaySubnetId
}

var frontDoorRule = {
  name: 'front-door'
  action: 'Allow'
  priority: 100
  tag: 'ServiceTag'
  ipAddress: 'AzureFrontDoor.Backend'
  headers: { 'x-azure-fdid': [frontDoorId] }
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// This resource replaces the site's web configuration, so it repeats the TLS settings of function-app.bicep.
resource web 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'web'
  properties: {
    minTlsVersion: '1.2'
    http20Enabled: true
    ftpsState: 'Disabled'
    ipSecurityRestrictionsDefaultAction: 'Deny'
    ipSecurityRestrictions: [gateway == 'appgw' ? appGatewayRule : frontDoorRule]
    scmIpSecurityRestrictionsUseMain: false
    scmIpSecurityRestrictionsDefaultAction: 'Allow'
  }
}
