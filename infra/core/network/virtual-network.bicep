// The virtual network the Application Gateway lives in. Its subnet carries the Microsoft.Web
// service endpoint, so the Function App's access restriction can name the subnet.
@description('Required. Name of the virtual network.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags.')
param tags object = {}

@description('Optional. Address space of the network.')
param addressPrefix string = '10.20.0.0/16'

@description('Optional. Address range of the Application Gateway subnet (a /24 leaves room to scale).')
param gatewaySubnetPrefix string = '10.20.1.0/24'

var gatewaySubnetName = 'snet-appgw'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: gatewaySubnetName
        properties: {
          addressPrefix: gatewaySubnetPrefix
          serviceEndpoints: [{ service: 'Microsoft.Web' }]
        }
      }
    ]
  }
}

@description('Resource id of the Application Gateway subnet.')
output gatewaySubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, gatewaySubnetName)

@description('Address range of the Application Gateway subnet (CERTGATE_TRUSTED_PROXIES).')
output gatewaySubnetPrefix string = gatewaySubnetPrefix
