// Microsoft Graph application permissions for the Function App's managed identity, so no
// PowerShell step remains. The deploying principal needs Privileged Role Administrator (or
// AppRoleAssignment.ReadWrite.All + Application.Read.All) in Entra ID.
extension microsoftGraphV1

@description('Required. Object id of the managed identity\'s service principal.')
param principalId string

@description('Optional. Graph application permissions certgate uses (README: Microsoft Graph).')
param permissions array = [
  'GroupMember.Read.All'
  'User.Read.All'
  'Device.Read.All'
  'Policy.Read.All'
]

var microsoftGraphAppId = '00000003-0000-0000-c000-000000000000'

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: microsoftGraphAppId
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for permission in permissions: {
    resourceId: graph.id
    principalId: principalId
    appRoleId: filter(graph.appRoles, role => role.value == permission && contains(role.allowedMemberTypes, 'Application'))[0].id
  }
]
