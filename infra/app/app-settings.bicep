// The Function App's app settings, generated from ONE list: `certgateSettings` below has exactly
// the settings shared/config.ts reads (its SETTINGS keys), in the same order as the README's
// settings table; test/infra/settings.test.ts fails when the list, SETTINGS,
// local.settings.sample.json and the README disagree. An empty value means "the code's default".
// Adding a setting is one line in certgateSettings: its value comes from a parameter already here
// (`deployed.<name>` for a deployed resource's name or endpoint, `secretUris.<name>` through
// keyVaultReference(), `gateway.<name>`, `entra.<name>`) or is a literal.
@description('Required. Function App name.')
param functionAppName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Client id of the user-assigned managed identity.')
param identityClientId string

@description('Required. Names and endpoints of deployed resources: storageAccountName, tablePrefix, alertQueueName, alertPoisonQueueName, decisionLogTableName, eventGridTopicEndpoint.')
param deployed object

@description('Required. Versioned Key Vault secret URIs: gatewaySecrets, gateSigningKey and graphNotificationClientStates (empty when not deployed).')
param secretUris object

@description('Required. The gateway in front: kind (app-gateway | front-door), mode, trustedProxies, frontDoorId, graphNotificationUrl.')
param gateway object

@description('Required. Entra ID token settings: issuer, audience, jwksUri (all empty: function keys only), userTokenAudience.')
param entra object

@description('Optional. Largest request body the Functions host accepts, in bytes (uploads stream through the gate).')
param requestBodySizeLimitBytes int = 104857600

func keyVaultReference(secretUri string) string => '@Microsoft.KeyVault(SecretUri=${secretUri})'

// Settings of the platform, not of certgate's code: identity-based host storage, telemetry, the
// identity DefaultAzureCredential uses, and the request body limit for HTTP streams.
var platformSettings = {
  AzureWebJobsStorage__accountName: deployed.storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(requestBodySizeLimitBytes)
}

// The one list: every setting shared/config.ts reads.
var certgateSettings = {
  CERTGATE_STORAGE_CONNECTION_STRING: ''
  CERTGATE_STORAGE_ACCOUNT_NAME: deployed.storageAccountName
  CERTGATE_TABLE_PREFIX: deployed.tablePrefix
  CERTGATE_STORAGE_TIMEOUT_MS: ''
  CERTGATE_MANAGE_STORAGE_TIMEOUT_MS: ''
  CERTGATE_GATEWAY_KIND: gateway.kind
  CERTGATE_GATEWAY_SECRETS: keyVaultReference(secretUris.gatewaySecrets)
  CERTGATE_GATEWAY_SECRET_HEADER: 'X-Certgate-Gateway-Secret'
  CERTGATE_GATEWAY_MODE: gateway.mode
  CERTGATE_TRUSTED_PROXIES: gateway.trustedProxies
  CERTGATE_FRONT_DOOR_ID: gateway.frontDoorId
  CERTGATE_GATEWAY_APP_HINTS: 'off'
  CERTGATE_GATEWAY_HEADERS: ''
  CERTGATE_ADDITIONAL_GATEWAYS: ''
  CERTGATE_MANAGEMENT_TOKEN_ISSUER: entra.issuer
  CERTGATE_MANAGEMENT_TOKEN_AUDIENCE: entra.audience
  CERTGATE_MANAGEMENT_JWKS_URI: entra.jwksUri
  CERTGATE_USER_TOKEN_AUDIENCE: entra.userTokenAudience
  CERTGATE_TRUST_APP_SERVICE_AUTH: 'false'
  CERTGATE_CLOCK_SKEW_SECONDS: ''
  CERTGATE_REQUIRED_EKUS: ''
  CERTGATE_CONFIG_REFRESH_SECONDS: ''
  CERTGATE_CRL_REFRESH_SECONDS: ''
  CERTGATE_CRL_GRACE_SECONDS: ''
  CERTGATE_CRL_FETCH_TIMEOUT_MS: ''
  CERTGATE_CRL_MAX_BYTES: ''
  CERTGATE_CRL_LOAD_TIMEOUT_MS: ''
  CERTGATE_CRL_FIRST_USE_TIMEOUT_MS: ''
  CERTGATE_OCSP_TIMEOUT_MS: ''
  CERTGATE_OCSP_CACHE_ENTRIES: ''
  CERTGATE_VERDICT_CACHE_ENTRIES: ''
  CERTGATE_VERDICT_CACHE_SECONDS: ''
  CERTGATE_VERDICT_FAILURE_CACHE_SECONDS: ''
  CERTGATE_DECISION_PATH_PATIENCE_MS: ''
  CERTGATE_GRAPH_ENABLED: 'true'
  CERTGATE_GRAPH_BASE_URL: ''
  CERTGATE_GRAPH_TIMEOUT_MS: ''
  CERTGATE_GRAPH_CACHE_SECONDS: ''
  CERTGATE_GRAPH_NEGATIVE_CACHE_SECONDS: ''
  CERTGATE_GRAPH_STALE_SECONDS: ''
  CERTGATE_GRAPH_CACHE_MAX_ENTRIES: ''
  CERTGATE_GRAPH_BREAKER_FAILURES: ''
  CERTGATE_GRAPH_BREAKER_COOLDOWN_SECONDS: ''
  CERTGATE_GRAPH_REFRESH_AHEAD_SECONDS: ''
  CERTGATE_TELEMETRY: 'azure-monitor'
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  CERTGATE_GRAPH_NOTIFICATION_URL: gateway.graphNotificationUrl
  CERTGATE_DIRECTORY_CHANGES_POLL_SECONDS: ''
  CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES: empty(secretUris.graphNotificationClientStates)
    ? ''
    : keyVaultReference(secretUris.graphNotificationClientStates)
  CERTGATE_DEVICE_ID_SOURCES: ''
  CERTGATE_DECISION_LOG_ALLOWS: ''
  CERTGATE_DECISION_LOG_RETENTION_DAYS: ''
  CERTGATE_DECISION_LOG_BUFFER: ''
  CERTGATE_DECISION_LOG_FLUSH_MS: ''
  CERTGATE_DECISION_LOG_LINES: ''
  CERTGATE_ALERT_SINKS: empty(deployed.eventGridTopicEndpoint) ? 'queue' : 'eventgrid'
  CERTGATE_ALERT_SOURCE: '/certgate/${functionAppName}'
  CERTGATE_ALERT_WEBHOOK_URL: ''
  CERTGATE_ALERT_WEBHOOK_SECRET: ''
  CERTGATE_ALERT_EVENTGRID_ENDPOINT: deployed.eventGridTopicEndpoint
  CERTGATE_ALERT_EVENTGRID_KEY: ''
  CERTGATE_ALERT_DEDUP_SECONDS: ''
  CERTGATE_ALERT_RATE_CAP: ''
  CERTGATE_ALERT_BUFFER_SIZE: ''
  CERTGATE_ALERT_MAX_ATTEMPTS: ''
  CERTGATE_ALERT_RETRY_SECONDS: ''
  CERTGATE_ALERT_RETRY_MAX_SECONDS: ''
  CERTGATE_ALERT_BACKLOG_WARN: ''
  CERTGATE_WATCH_CA_DAYS: ''
  CERTGATE_WATCH_CERTIFICATE_DAYS: ''
  CERTGATE_WATCH_SEEN_CERTIFICATES: ''
  CERTGATE_GATE_SIGNING_KEY: empty(secretUris.gateSigningKey) ? '' : keyVaultReference(secretUris.gateSigningKey)
  CERTGATE_GATE_PREVIOUS_SIGNING_KEY: ''
  CERTGATE_GATE_ISSUER: ''
  CERTGATE_GATE_ASSERTION_SECONDS: ''
  CERTGATE_GATE_UPSTREAM_TIMEOUT_MS: ''
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(platformSettings, certgateSettings)
}

@description('Names of the certgate settings written (no values).')
output certgateSettingNames array = objectKeys(certgateSettings)
