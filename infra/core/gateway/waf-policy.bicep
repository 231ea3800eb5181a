// Optional WAF policy for the Application Gateway (WAF_v2): OWASP core rule set in Prevention.
@description('Required. Policy name.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags.')
param tags object = {}

resource policy 'Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    policySettings: {
      state: 'Enabled'
      mode: 'Prevention'
      requestBodyCheck: true
      // Uploads stream through the gate; the WAF inspects the first 128 KB and lets larger bodies pass.
      requestBodyEnforcement: false
    }
    managedRules: {
      managedRuleSets: [{ ruleSetType: 'OWASP', ruleSetVersion: '3.2' }]
    }
  }
}

@description('Resource id of the policy.')
output id string = policy.id
