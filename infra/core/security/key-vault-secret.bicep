// One Key Vault secret, written through the control plane (the deployer needs no data-plane role).
// The value never leaves this module: only the versioned URI is returned, for a Key Vault reference.
@description('Required. Name of the existing vault.')
param vaultName string

@description('Required. Secret name.')
param name string

@description('Required. Secret value.')
@secure()
param value string

@description('Optional. Content type recorded with the secret.')
param contentType string = 'text/plain'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: name
  properties: {
    value: value
    contentType: contentType
  }
}

// The versioned URI: a new value is a new version, so the app setting that references it changes
// and the app reloads it at once (no 24-hour Key Vault reference refresh to wait for).
@description('Versioned URI of the secret (for @Microsoft.KeyVault(SecretUri=...)).')
output secretUriWithVersion string = secret.properties.secretUriWithVersion
