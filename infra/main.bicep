// certgate on Azure: `azd up` provisions this, then deploys the app (azure.yaml).
// Composition only: each module does one thing (app/ = certgate's own resources, core/ = generic
// building blocks). Names come from a resourceToken; identity first: the Function App reaches
// storage, Key Vault and Microsoft Graph with its user-assigned managed identity, shared keys are off.
targetScope = 'resourceGroup'

@description('Required. azd environment name; part of every resource name and tag.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Optional. Azure region of every regional resource.')
param location string = resourceGroup().location

@description('Optional. The gateway in front of certgate: appgw (Application Gateway v2, mutual authentication) or frontdoor (Front Door Premium, mutual TLS preview).')
@allowed(['appgw', 'frontdoor'])
param gateway string = 'appgw'

@description('Optional. passthrough: the gateway forwards any certificate and certgate decides (and reports why); strict: the gateway refuses a missing or invalid certificate first. Sets CERTGATE_GATEWAY_MODE too.')
@allowed(['passthrough', 'strict'])
param gatewayMode string = 'passthrough'

@description('Optional. Have the gateway check client certificate revocation as well (OCSP; strict mode). certgate checks CRLs / OCSP itself in every mode.')
param gatewayRevocationCheck bool = true

@description('Required. Host name clients use, e.g. apps.contoso.com (DNS: A record to the gateway IP, or CNAME to the Front Door endpoint).')
param publicHostName string

@description('Optional. The organisation\'s root and issuing CAs for the gateway (base64 of one PEM file, root included); the preprovision hook fills it from CERTGATE_TRUSTED_CA_FILE. Required for appgw strict mode.')
param trustedClientCaBundle string = ''

@description('Required. The gateway secret the gateway sends (at least 16 characters; the preprovision hook generates one).')
@secure()
@minLength(16)
param gatewaySecret string

@description('Optional. Public https URL Microsoft Graph posts change notifications to (https://<publicHostName>/api/notifications/graph). Graph presents no client certificate: the gateway must let this path through without one (appgw passthrough mode). Empty: no change notifications, access follows the Graph cache TTL.')
param graphNotificationUrl string = ''

@description('Optional. clientState secret of the Graph subscriptions (16-128 characters; required with graphNotificationUrl).')
@secure()
param graphNotificationClientState string = ''

@description('Optional. A second secret certgate also accepts, for a zero-downtime rotation (infra/README.md). Empty outside a rotation.')
@secure()
param gatewaySecretAlsoAccepted string = ''

@description('Optional. appgw: listener certificate for publicHostName, base64 of a PFX file.')
@secure()
param listenerCertificatePfx string = ''

@description('Optional. appgw: password of the listener PFX.')
@secure()
param listenerCertificatePassword string = ''

@description('Optional. appgw: deploy WAF_v2 with an OWASP policy instead of Standard_v2.')
param enableWaf bool = false

@description('Optional. appgw: autoscale floor (instances kept warm).')
@minValue(0)
param gatewayMinCapacity int = 1

@description('Optional. frontdoor: resource ids of the profile\'s mutual TLS CA secrets (create them in the profile first; infra/README.md).')
param frontDoorMtlsCaSecretIds array = []

@description('Optional. The gate\'s assertion signing key, PEM PKCS#8 EC P-256, base64-encoded (the preprovision hook generates one); stored in Key Vault as PEM.')
@secure()
param gateSigningKeyPemBase64 string = ''

@description('Optional. Create the Event Grid topic alerts are published to.')
param enableEventGridTopic bool = false

@description('Optional. Grant the managed identity its Microsoft Graph application permissions (needs Privileged Role Administrator when deploying).')
param grantGraphPermissions bool = true

@description('Optional. Create the management API\'s app registration (Certgate.Reader / Certgate.Admin) and require its tokens on /api/manage.')
param createManagementApi bool = true

@description('Optional. Object ids of users or groups given Certgate.Admin on the management API.')
param managementAdminPrincipalIds array = []

@description('Optional. Comma-separated audiences of user tokens authorize reads (CERTGATE_USER_TOKEN_AUDIENCE); needs createManagementApi.')
param userTokenAudience string = ''

@description('Optional. Prefix of certgate\'s table names (CERTGATE_TABLE_PREFIX).')
param tablePrefix string = 'certgate'

@description('Optional. Days Log Analytics keeps logs, the decision log lines among them.')
@minValue(30)
param logRetentionDays int = 90

@description('Optional. Days archived blobs (last-good CRLs) are kept after their last change.')
@minValue(1)
param archiveRetentionDays int = 90

@description('Optional. Most Function App instances.')
@minValue(1)
param maximumInstanceCount int = 40

@description('Optional. Largest request body, bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT; uploads stream through the gate).')
param requestBodySizeLimitBytes int = 104857600

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, application: 'certgate' }
var names = {
  identity: 'id-certgate-${resourceToken}'
  logAnalytics: 'log-certgate-${resourceToken}'
  applicationInsights: 'appi-certgate-${resourceToken}'
  storage: 'stcg${resourceToken}'
  keyVault: 'kv-cg-${resourceToken}'
  plan: 'plan-certgate-${resourceToken}'
  functionApp: 'func-certgate-${resourceToken}'
  vnet: 'vnet-certgate-${resourceToken}'
  appGateway: 'agw-certgate-${resourceToken}'
  wafPolicy: 'waf-certgate-${resourceToken}'
  frontDoor: 'afd-certgate-${resourceToken}'
  eventGridTopic: 'evgt-certgate-${resourceToken}'
}
var lowerPrefix = toLower(tablePrefix)
var deploymentContainerName = 'app-package'
var alertQueueName = 'certgate-alerts'
var alertPoisonQueueName = 'certgate-alerts-poison'
var decisionLogTableName = '${tablePrefix}Decisions'
var gatewaySecrets = join(
  sort(filter([gatewaySecret, gatewaySecretAlsoAccepted], secret => !empty(secret)), (a, b) => a < b),
  ','
)

module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  params: { name: names.identity, location: location, tags: tags }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    tableNames: ['${tablePrefix}TrustedCas', '${tablePrefix}Policies', '${tablePrefix}Audit', decisionLogTableName]
    queueNames: [alertQueueName, alertPoisonQueueName]
    containerNames: [deploymentContainerName, '${lowerPrefix}-crls', '${lowerPrefix}-reports']
    archivePrefixes: ['${lowerPrefix}-crls/']
    archiveRetentionDays: archiveRetentionDays
  }
}

module keyVault 'core/security/key-vault.bicep' = {
  name: 'key-vault'
  params: { name: names.keyVault, location: location, tags: tags }
}

module gatewaySecretsSecret 'core/security/key-vault-secret.bicep' = {
  name: 'secret-gateway-secrets'
  params: { vaultName: keyVault.outputs.name, name: 'certgate-gateway-secrets', value: gatewaySecrets }
}

module gateSigningKeySecret 'core/security/key-vault-secret.bicep' = if (!empty(gateSigningKeyPemBase64)) {
  name: 'secret-gate-signing-key'
  params: {
    vaultName: keyVault.outputs.name
    name: 'certgate-gate-signing-key'
    value: base64ToString(gateSigningKeyPemBase64)
    contentType: 'application/pkcs8'
  }
}

module graphNotificationSecret 'core/security/key-vault-secret.bicep' = if (!empty(graphNotificationUrl)) {
  name: 'secret-graph-notification-client-state'
  params: {
    vaultName: keyVault.outputs.name
    name: 'certgate-graph-notification-client-state'
    value: graphNotificationClientState
  }
}

module eventGridTopic 'core/messaging/event-grid-topic.bicep' = if (enableEventGridTopic) {
  name: 'event-grid-topic'
  params: { name: names.eventGridTopic, location: location, tags: tags }
}

module rbac 'core/security/rbac.bicep' = {
  name: 'rbac'
  params: {
    appPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    eventGridTopicName: enableEventGridTopic ? names.eventGridTopic : ''
  }
  dependsOn: [eventGridTopic]
}

module graphPermissions 'app/graph-permissions.bicep' = if (grantGraphPermissions) {
  name: 'graph-permissions'
  params: { principalId: identity.outputs.principalId }
}

module managementApi 'app/management-api.bicep' = if (createManagementApi) {
  name: 'management-api'
  params: {
    uniqueName: 'certgate-management-${resourceToken}'
    displayName: 'certgate management API (${environmentName})'
    adminPrincipalIds: managementAdminPrincipalIds
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    maximumInstanceCount: maximumInstanceCount
  }
  dependsOn: [rbac]
}

module network 'core/network/virtual-network.bicep' = if (gateway == 'appgw') {
  name: 'network'
  params: { name: names.vnet, location: location, tags: tags }
}

module wafPolicy 'core/gateway/waf-policy.bicep' = if (gateway == 'appgw' && enableWaf) {
  name: 'waf-policy'
  params: { name: names.wafPolicy, location: location, tags: tags }
}

module appGateway 'core/gateway/application-gateway.bicep' = if (gateway == 'appgw') {
  name: 'application-gateway'
  params: {
    name: names.appGateway
    location: location
    tags: tags
    subnetId: network.outputs.gatewaySubnetId
    backendHostName: functionApp.outputs.defaultHostName
    publicHostName: publicHostName
    listenerCertificatePfx: listenerCertificatePfx
    listenerCertificatePassword: listenerCertificatePassword
    trustedClientCaBundle: trustedClientCaBundle
    mode: gatewayMode
    verifyClientRevocation: gatewayRevocationCheck
    gatewaySecret: gatewaySecret
    wafPolicyId: enableWaf ? wafPolicy.outputs.id : ''
    minCapacity: gatewayMinCapacity
  }
}

module frontDoor 'core/gateway/front-door.bicep' = if (gateway == 'frontdoor') {
  name: 'front-door'
  params: {
    name: names.frontDoor
    tags: tags
    backendHostName: functionApp.outputs.defaultHostName
    publicHostName: publicHostName
    mode: gatewayMode
    verifyClientRevocation: gatewayRevocationCheck
    mtlsCaSecretIds: frontDoorMtlsCaSecretIds
    gatewaySecret: gatewaySecret
  }
}

module appSettings 'app/app-settings.bicep' = {
  name: 'app-settings'
  params: {
    functionAppName: functionApp.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityClientId: identity.outputs.clientId
    requestBodySizeLimitBytes: requestBodySizeLimitBytes
    deployed: {
      storageAccountName: storage.outputs.name
      tablePrefix: tablePrefix
      alertQueueName: alertQueueName
      alertPoisonQueueName: alertPoisonQueueName
      decisionLogTableName: decisionLogTableName
      eventGridTopicEndpoint: enableEventGridTopic ? eventGridTopic.outputs.endpoint : ''
    }
    secretUris: {
      gatewaySecrets: gatewaySecretsSecret.outputs.secretUriWithVersion
      gateSigningKey: empty(gateSigningKeyPemBase64) ? '' : gateSigningKeySecret.outputs.secretUriWithVersion
      graphNotificationClientStates: empty(graphNotificationUrl) ? '' : graphNotificationSecret.outputs.secretUriWithVersion
    }
    gateway: {
      kind: gateway == 'appgw' ? 'app-gateway' : 'front-door'
      mode: gatewayMode
      trustedProxies: gateway == 'appgw' ? network.outputs.gatewaySubnetPrefix : ''
      frontDoorId: gateway == 'frontdoor' ? frontDoor.outputs.frontDoorId : ''
      graphNotificationUrl: graphNotificationUrl
    }
    entra: {
      issuer: createManagementApi ? managementApi.outputs.issuer : ''
      audience: createManagementApi ? managementApi.outputs.clientId : ''
      jwksUri: createManagementApi ? managementApi.outputs.jwksUri : ''
      userTokenAudience: userTokenAudience
    }
  }
  dependsOn: [rbac]
}

module accessRestrictions 'app/access-restrictions.bicep' = {
  name: 'access-restrictions'
  params: {
    functionAppName: functionApp.outputs.name
    gateway: gateway
    gatewaySubnetId: gateway == 'appgw' ? network.outputs.gatewaySubnetId : ''
    frontDoorId: gateway == 'frontdoor' ? frontDoor.outputs.frontDoorId : ''
  }
  dependsOn: [appSettings]
}

// Outputs become azd environment values (the postdeploy hook reads them). No secrets here.
@description('Resource group of the deployment.')
output AZURE_RESOURCE_GROUP string = resourceGroup().name

@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Function App name.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Host name clients use.')
output CERTGATE_PUBLIC_HOST_NAME string = publicHostName

@description('appgw: the gateway\'s public IP (A record for CERTGATE_PUBLIC_HOST_NAME).')
output CERTGATE_GATEWAY_PUBLIC_IP string = gateway == 'appgw' ? appGateway.outputs.publicIpAddress : ''

@description('frontdoor: endpoint host name (CNAME target for CERTGATE_PUBLIC_HOST_NAME).')
output CERTGATE_FRONT_DOOR_ENDPOINT string = gateway == 'frontdoor' ? frontDoor.outputs.endpointHostName : ''

@description('frontdoor: DNS TXT token validating the custom domain.')
output CERTGATE_FRONT_DOOR_DOMAIN_VALIDATION_TOKEN string = gateway == 'frontdoor'
  ? frontDoor.outputs.customDomainValidationToken
  : ''

@description('Client id of the management API registration (audience of admin tokens); empty without one.')
output CERTGATE_MANAGEMENT_API_CLIENT_ID string = createManagementApi ? managementApi.outputs.clientId : ''

@description('Key Vault holding the gateway secrets and the gate signing key.')
output CERTGATE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('Storage account certgate uses.')
output CERTGATE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Queue alert events are written to.')
output CERTGATE_ALERT_QUEUE_NAME string = alertQueueName

@description('Event Grid topic endpoint for alerts; empty when not deployed.')
output CERTGATE_EVENT_GRID_TOPIC_ENDPOINT string = enableEventGridTopic ? eventGridTopic.outputs.endpoint : ''
