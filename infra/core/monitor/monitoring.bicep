// Log Analytics workspace + workspace-based Application Insights for the Function App.
// The decision log is written as log lines and does not depend on sampling: host.json excludes
// Request from sampling, and the trace lines certgate writes are not sampled by this resource.
@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Optional. Days the workspace keeps logs (the decision log lives here).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 90

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // 100 %: the decision log must not be sampled away at ingestion either.
    SamplingPercentage: 100
  }
}

@description('Resource id of the Log Analytics workspace.')
output logAnalyticsId string = logAnalytics.id

@description('Name of the Application Insights component (the connection string is read where it is used).')
output applicationInsightsName string = applicationInsights.name
