// The app registration of the management API (/api/manage): app roles Certgate.Reader and
// Certgate.Admin (shared/identity/managementRoles.ts), v2 access tokens whose audience is its
// client id, and optional role assignments for the first admins. The Azure CLI is pre-authorised,
// so `az account get-access-token --resource <client id>` gives an admin a token for the API.
extension microsoftGraphV1

@description('Required. Unique name of the registration in the tenant (idempotent redeployments).')
param uniqueName string

@description('Required. Display name.')
param displayName string

@description('Optional. Object ids of users or groups given Certgate.Admin.')
param adminPrincipalIds array = []

@description('Optional. Object ids of users or groups given Certgate.Reader.')
param readerPrincipalIds array = []

var adminRoleId = guid(uniqueName, 'Certgate.Admin')
var readerRoleId = guid(uniqueName, 'Certgate.Reader')
var accessScopeId = guid(uniqueName, 'user_impersonation')
var azureCliAppId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'

resource registration 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: accessScopeId
        value: 'user_impersonation'
        type: 'Admin'
        isEnabled: true
        adminConsentDisplayName: 'Use the certgate management API'
        adminConsentDescription: 'Lets the signed-in admin call the certgate management API with the app roles they hold.'
      }
    ]
    preAuthorizedApplications: [{ appId: azureCliAppId, delegatedPermissionIds: [accessScopeId] }]
  }
  appRoles: [
    {
      id: adminRoleId
      value: 'Certgate.Admin'
      displayName: 'certgate admin'
      description: 'Reads and changes certgate configuration through the management API.'
      allowedMemberTypes: ['User', 'Application']
      isEnabled: true
    }
    {
      id: readerRoleId
      value: 'Certgate.Reader'
      displayName: 'certgate reader'
      description: 'Reads certgate configuration, the audit trail and the posture report.'
      allowedMemberTypes: ['User', 'Application']
      isEnabled: true
    }
  ]
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: registration.appId
  appRoleAssignmentRequired: true
}

resource admins 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for principal in adminPrincipalIds: {
    resourceId: servicePrincipal.id
    principalId: principal
    appRoleId: adminRoleId
  }
]

resource readers 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for principal in readerPrincipalIds: {
    resourceId: servicePrincipal.id
    principalId: principal
    appRoleId: readerRoleId
  }
]

@description('Client id of the registration: the management tokens\' audience.')
output clientId string = registration.appId

@description('Issuer of the tenant\'s v2 tokens.')
output issuer string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'

@description('The tenant\'s signing keys.')
output jwksUri string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/discovery/v2.0/keys'
